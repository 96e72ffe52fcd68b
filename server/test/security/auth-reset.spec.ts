import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, signUp, startTestServer, type TestServer, waitFor } from '../harness.js';
import { call, signIn } from './auth-http.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});

async function resetTokenFor(email: string): Promise<string> {
  await call(server, 'auth.requestPasswordReset', { email });
  const mail = await waitFor(() => server.db.prisma.devMail.findFirst({ where: { to: { contains: email }, subject: { contains: 'Reset' } }, orderBy: { createdAt: 'desc' } }));
  return /reset-password\/([A-Za-z0-9_-]+)/.exec(mail.text)![1]!;
}

describe('password reset (items 11 and 12)', () => {
  it('a reset link works once, even when five requests present it at the same moment', async () => {
    const user = await signUp(server);
    const token = await resetTokenFor(user.email);
    const passwords = Array.from({ length: 5 }, (_, i) => `racing new passphrase ${i}`);
    const answers = await Promise.all(passwords.map((password) => call(server, 'auth.resetPassword', { token, password })));
    const won = answers.flatMap((a, i) => (a.status === 200 ? [passwords[i]!] : []));
    expect(won).toHaveLength(1);
    for (const lost of answers.filter((a) => a.status !== 200)) {
      expect(lost.status).toBe(400);
      expect(lost.message).toContain('expired or was already used');
    }
    // The winner's password is the one that holds; the others never were set.
    expect((await signIn(server, user.email, won[0]!, '198.51.100.90')).status).toBe(200);
    for (const other of passwords.filter((p) => p !== won[0])) {
      expect((await signIn(server, user.email, other, '198.51.100.91')).status).toBe(401);
    }
  });

  it('after a reset the old password and every old session are gone, and the owner can sign in at once', async () => {
    const user = await signUp(server);
    // Someone guessing from elsewhere had locked only their own address.
    for (let i = 0; i < 6; i++) await signIn(server, user.email, `guess ${i}`, '203.0.113.95');
    const token = await resetTokenFor(user.email);
    expect((await call(server, 'auth.resetPassword', { token, password: 'a brand new passphrase' })).status).toBe(200);
    expect(await user.api.auth.me.query()).toBeNull();
    expect((await signIn(server, user.email, PASSWORD, '198.51.100.96')).status).toBe(401);
    expect((await signIn(server, user.email, 'a brand new passphrase', '198.51.100.96')).status).toBe(200);
  });
});
