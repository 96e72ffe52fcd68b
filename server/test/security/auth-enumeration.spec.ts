import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, signUp, startTestServer, type TestServer, uniqueEmail, waitFor } from '../harness.js';
import { call, type RawAnswer } from './auth-http.js';
import { AuthService, RESET_MAIL_LIMIT } from '../../src/auth/auth.service.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/**
 * Asks the same question about a known and an unknown email, alternating (so load on the
 * machine hits both sides alike), and returns the distinct answers and the ratio of the
 * median times. Medians of several tries, compared to each other: never a wall-clock bound.
 */
async function compare(ask: (email: string) => Promise<RawAnswer>, known: () => string, tries = 7) {
  const times = { known: [] as number[], unknown: [] as number[] };
  const answers = new Set<string>();
  for (let i = 0; i < tries; i++) {
    for (const side of ['known', 'unknown'] as const) {
      const email = side === 'known' ? known() : uniqueEmail('nobody');
      const started = performance.now();
      const answer = await ask(email);
      times[side].push(performance.now() - started);
      answers.add(JSON.stringify({ status: answer.status, data: answer.data, message: answer.message }));
    }
  }
  const [k, u] = [median(times.known), median(times.unknown)];
  return { answers: [...answers], ratio: Math.max(k, u) / Math.max(1, Math.min(k, u)) };
}

describe('account enumeration (item 11)', () => {
  it('sign-up answers the same way, in about the same time, for an email with an account and one without', async () => {
    const owners = await Promise.all([0, 1, 2, 3, 4, 5, 6].map(async (i) => (await signUp(server, `Owner ${i}`)).email));
    let next = 0;
    const { answers, ratio } = await compare(
      (email) => call(server, 'auth.signUp', { name: 'Curious', email, password: 'probing passphrase' }),
      () => owners[next++]!,
    );
    expect(answers).toEqual([JSON.stringify({ status: 200, data: { confirmationSent: true }, message: null })]);
    // Both sides hash the password (the slow part) before anything is looked up.
    expect(ratio).toBeLessThan(3);
    // The owners are told by email; no second account exists and their passwords still work.
    await waitFor(() => server.db.prisma.devMail.findFirst({ where: { to: { contains: owners[6]! }, subject: 'You already have a CareText account' } }));
    expect(await server.db.prisma.user.count({ where: { email: { in: owners } } })).toBe(owners.length);
    expect((await call(server, 'auth.signIn', { email: owners[0]!, password: PASSWORD, client: 'extension' }, { from: '198.51.100.70' })).status).toBe(200);
  });

  it('a password reset request answers the same way, in about the same time, and mails only the owner', async () => {
    const user = await signUp(server);
    const { answers, ratio } = await compare((email) => call(server, 'auth.requestPasswordReset', { email }), () => user.email, 9);
    expect(answers).toHaveLength(1);
    // The request path does no lookup at all (the mail goes out after answering).
    expect(ratio).toBeLessThan(3);
    // The owner gets links, and a flood of requests sends only a few.
    await waitFor(async () => ((await server.db.prisma.devMail.count({ where: { to: { contains: user.email }, subject: { contains: 'Reset' } } })) >= 3 ? true : null));
    expect(await server.db.prisma.passwordResetToken.count({ where: { user: { email: user.email } } })).toBeLessThanOrEqual(3);
  });

  it('a burst of reset requests in parallel still sends at most the limit of links', async () => {
    const user = await signUp(server);
    // Over HTTP, and straight at the service in one tick (as a burst spread over instances lands):
    // every background task looks for room at the same moment.
    for (let i = 0; i < 8; i++) server.app.get(AuthService).requestPasswordReset(user.email);
    const answers = await Promise.all(Array.from({ length: 4 }, () => call(server, 'auth.requestPasswordReset', { email: user.email })));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    await waitFor(async () => ((await server.db.prisma.devMail.count({ where: { to: { contains: user.email }, subject: { contains: 'Reset' } } })) >= RESET_MAIL_LIMIT ? true : null));
    // Let every background task finish before counting what they made.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await server.db.prisma.passwordResetToken.count({ where: { user: { email: user.email } } })).toBe(RESET_MAIL_LIMIT);
  });
});
