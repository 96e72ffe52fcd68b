import superjson from 'superjson';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGN_IN_LIMIT } from '../../src/auth/auth.service.js';
import { PASSWORD, signUp, startTestServer, type TestServer, uniqueEmail } from '../harness.js';
import { failedAttempts, signIn } from './auth-http.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});

/** One POST carrying `paths.length` calls, the way httpBatchLink sends them. */
async function batch(paths: string[], inputs: unknown[], from?: string, method: 'GET' | 'POST' = 'POST', flag = 'batch=1') {
  const body = JSON.stringify(Object.fromEntries(inputs.map((input, i) => [i, superjson.serialize(input)])));
  const query = method === 'GET' ? `&input=${encodeURIComponent(body)}` : '';
  const res = await fetch(`${server.url}/trpc/${paths.join(',')}?${flag}${query}`, {
    method,
    headers: { 'content-type': 'application/json', ...(from ? { 'x-forwarded-for': from } : {}) },
    body: method === 'POST' ? body : undefined,
  });
  return { status: res.status, text: await res.text() };
}

describe('sign-in guessing (issue 9, item 3)', () => {
  it('refuses one POST batching 100 sign-ins outright, before any password is checked', async () => {
    const user = await signUp(server);
    const guesses = Array.from({ length: 99 }, (_, i) => ({ email: user.email, password: `guess number ${i}`, client: 'extension' }));
    guesses.push({ email: user.email, password: PASSWORD, client: 'extension' });
    const answer = await batch(guesses.map(() => 'auth.signIn'), guesses, '203.0.113.10');
    expect(answer.status).toBe(400);
    expect(answer.text).not.toContain('"token"');
    expect(await failedAttempts(server, { email: user.email })).toBe(0);
    expect(await server.db.prisma.session.count({ where: { user: { email: user.email } } })).toBe(1); // the sign-up's own
  });

  it('refuses an auth call batched with anything else, and a batch of more than 10 calls', async () => {
    const user = await signUp(server);
    const mixed = await batch(['auth.signOut', 'auth.signIn'], [undefined, { email: user.email, password: 'wrong password', client: 'extension' }]);
    expect(mixed.status).toBe(400);
    const guesses = [0, 1].map((i) => ({ email: user.email, password: `guess ${i}`, client: 'extension' }));
    expect((await batch(['auth.signIn', 'auth.signIn'], guesses, undefined, 'POST', 'batch=1&batch=1')).status).toBe(400);
    expect((await batch(['auth.signIn', 'auth.signIn'], guesses, undefined, 'POST', 'batch=1&batch=0')).status).toBe(400);
    const resets = await batch(['auth.requestPasswordReset', 'auth.requestPasswordReset'], [{ email: user.email }, { email: user.email }]);
    expect(resets.status).toBe(400);
    expect(await failedAttempts(server, { email: user.email })).toBe(0);
    expect((await batch(Array(11).fill('auth.me'), Array(11).fill(undefined), undefined, 'GET')).status).toBe(400);
    // What the clients send stays fine: up to 10 calls, and an auth call on its own (a batch of one).
    expect((await batch(Array(10).fill('auth.me'), Array(10).fill(undefined), undefined, 'GET')).status).toBe(200);
    const single = await batch(['auth.signIn'], [{ email: user.email, password: PASSWORD, client: 'extension' }]);
    expect(single.status).toBe(200);
  });

  it('checks at most the limit of passwords when 20 guesses arrive in parallel, the right one among them', async () => {
    const user = await signUp(server);
    const from = '203.0.113.20';
    const passwords = [...Array.from({ length: 19 }, (_, i) => `parallel guess ${i}`), PASSWORD];
    const answers = await Promise.all(passwords.map((password) => signIn(server, user.email, password, from)));
    const checked = answers.filter((a) => a.status === 401 || a.status === 200);
    const refused = answers.filter((a) => a.status === 429);
    // At most the limit of WRONG passwords is checked. The right one may be checked on top: a
    // success stops counting as a failure the moment it is recorded, so a guess counted after it
    // may still see room (that guess would be wrong, and still within the limit).
    expect(answers.filter((a) => a.status === 401).length).toBeLessThanOrEqual(SIGN_IN_LIMIT.perEmailAndAddress);
    expect(checked.length).toBeLessThanOrEqual(SIGN_IN_LIMIT.perEmailAndAddress + 1);
    expect(refused.length).toBeGreaterThanOrEqual(passwords.length - SIGN_IN_LIMIT.perEmailAndAddress - 1);
    expect(checked.length + refused.length).toBe(passwords.length);
    // Only checked attempts are recorded as failures; the refused ones checked nothing.
    expect(await failedAttempts(server, { email: user.email, ip: from })).toBe(answers.filter((a) => a.status === 401).length);
    // Refused attempts leave no trace, so a burst may end below the limit: guesses one by one
    // still stop at it, and then the address is refused, even with the right password...
    for (let i = 0; (await failedAttempts(server, { email: user.email, ip: from })) < SIGN_IN_LIMIT.perEmailAndAddress; i++) {
      expect(i).toBeLessThan(SIGN_IN_LIMIT.perEmailAndAddress);
      expect((await signIn(server, user.email, `one more guess ${i}`, from)).status).toBe(401);
    }
    expect((await signIn(server, user.email, 'yet another guess', from)).status).toBe(429);
    expect((await signIn(server, user.email, PASSWORD, from)).status).toBe(429);
    // ...while the owner, elsewhere, signs in.
    expect((await signIn(server, user.email, PASSWORD, '198.51.100.20')).status).toBe(200);
  });
});

describe('lockout abuse and the per-address limit (item 11, and the missing test)', () => {
  it('fifty wrong passwords from one address do not lock the owner out from another', async () => {
    const owner = await signUp(server);
    const attacker = '203.0.113.30';
    const codes = [];
    for (let i = 0; i < 50; i++) codes.push((await signIn(server, owner.email, `attacker guess ${i}`, attacker)).status);
    expect(codes.filter((c) => c === 401)).toHaveLength(SIGN_IN_LIMIT.perEmailAndAddress);
    expect(codes.filter((c) => c === 429)).toHaveLength(50 - SIGN_IN_LIMIT.perEmailAndAddress);
    const fromHome = await signIn(server, owner.email, PASSWORD, '198.51.100.30');
    expect(fromHome.status).toBe(200);
    expect(fromHome.data.token).toBeTruthy();
  });

  it('30 failures across many different emails from one address refuse that address; another address is unaffected', async () => {
    const victim = await signUp(server);
    const sprayer = '203.0.113.40';
    for (let i = 0; i < SIGN_IN_LIMIT.perAddress; i++) {
      expect((await signIn(server, uniqueEmail('spray'), 'one common password', sprayer)).status).toBe(401);
    }
    const next = await signIn(server, uniqueEmail('spray'), 'one common password', sprayer);
    expect(next.status).toBe(429);
    expect(next.message).toContain('Too many failed sign-in attempts');
    // Refused for a real account with the right password too: the address is what is limited.
    expect((await signIn(server, victim.email, PASSWORD, sprayer)).status).toBe(429);
    expect((await signIn(server, uniqueEmail('other'), 'wrong password', '198.51.100.40')).status).toBe(401);
    expect((await signIn(server, victim.email, PASSWORD, '198.51.100.40')).status).toBe(200);
    // The window passes and the address may try again.
    server.clock.advance((SIGN_IN_LIMIT.windowMinutes + 1) * 60_000);
    expect((await signIn(server, victim.email, PASSWORD, sprayer)).status).toBe(200);
  });
});
