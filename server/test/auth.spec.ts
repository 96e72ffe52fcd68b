import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGN_IN_LIMIT } from '../src/auth/auth.service.js';
import { confirmTokenFor, errorOf, PASSWORD, signUp, startTestServer, type TestServer, uniqueEmail, waitFor } from './harness.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});

describe('accounts', () => {
  it('signs up, reports who is signed in, and stores only a password hash', async () => {
    const email = uniqueEmail();
    const user = await signUp(server, 'Nora Nurse', email.toUpperCase());
    const me = await user.api.auth.me.query();
    expect(me).toMatchObject({ user: { name: 'Nora Nurse', email }, activeOrgId: null, orgs: [] });
    const row = await server.db.prisma.user.findUniqueOrThrow({ where: { email } });
    expect(row.passwordHash).toMatch(/^scrypt\$/);
    expect(row.passwordHash).not.toContain(PASSWORD);
  });

  it('makes no second account for the same email, whatever its case, and tells the owner instead', async () => {
    const email = uniqueEmail();
    await signUp(server, 'First', email);
    // The same answer as for a new address: the form cannot tell who has an account.
    expect(await server.anon.auth.signUp.mutate({ name: 'Again', email: email.toUpperCase(), password: 'another passphrase' })).toEqual({ confirmationSent: true });
    const note = await waitFor(() => server.db.prisma.devMail.findFirst({ where: { to: { contains: email }, subject: 'You already have a CareText account' } }));
    expect(note.text).toContain('/forgot-password');
    expect(note.text).not.toContain('/confirm-email/');
    expect(await server.db.prisma.user.count({ where: { email } })).toBe(1);
    expect((await errorOf(server.anon.auth.signIn.mutate({ email, password: 'another passphrase' }))).code).toBe('UNAUTHORIZED');
  });

  it('creates the account only from the emailed link, once, and continues where the person was going', async () => {
    const email = uniqueEmail();
    await server.anon.auth.signUp.mutate({ name: 'Link Follower', email, password: PASSWORD, next: '/invite/abc123' });
    expect(await server.db.prisma.user.count({ where: { email } })).toBe(0);
    const token = await confirmTokenFor(server, email);
    const confirmed = await server.anon.auth.confirmSignUp.mutate({ token, client: 'extension' });
    expect(confirmed.next).toBe('/invite/abc123');
    expect((await server.as(confirmed.token!).auth.me.query())!.user.email).toBe(email);
    expect((await errorOf(server.anon.auth.confirmSignUp.mutate({ token, client: 'extension' }))).message).toContain('expired or was already used');
    // A `next` that leaves the site is dropped.
    const other = uniqueEmail();
    await server.anon.auth.signUp.mutate({ name: 'Elsewhere', email: other, password: PASSWORD, next: '//evil.example/x' });
    expect((await server.anon.auth.confirmSignUp.mutate({ token: await confirmTokenFor(server, other), client: 'extension' })).next).toBeNull();
  });

  it('rejects a short password and a malformed email with messages a user can act on', async () => {
    const short = await errorOf(server.anon.auth.signUp.mutate({ name: 'X', email: uniqueEmail(), password: 'short' }));
    expect(short).toMatchObject({ code: 'BAD_REQUEST' });
    expect(short.message).toContain('at least 10 characters');
    const email = await errorOf(server.anon.auth.signUp.mutate({ name: 'X', email: 'not-an-email', password: PASSWORD }));
    expect(email.message).toContain('valid email');
  });

  it('signs in with the right password only, and the same error for unknown emails', async () => {
    const user = await signUp(server);
    const ok = await server.anon.auth.signIn.mutate({ email: user.email, password: PASSWORD, client: 'extension' });
    expect(ok.token).toBeTruthy();
    const wrong = await errorOf(server.anon.auth.signIn.mutate({ email: user.email, password: 'wrong password!' }));
    const unknown = await errorOf(server.anon.auth.signIn.mutate({ email: uniqueEmail(), password: 'wrong password!' }));
    expect(wrong).toEqual({ code: 'UNAUTHORIZED', message: 'Email or password is incorrect.' });
    expect(unknown).toEqual(wrong);
  });

  it('rate-limits repeated failed sign-ins for an email until the window passes', async () => {
    const user = await signUp(server);
    for (let i = 0; i < SIGN_IN_LIMIT.perEmailAndAddress; i++) {
      expect((await errorOf(server.anon.auth.signIn.mutate({ email: user.email, password: 'guess ' + i }))).code).toBe('UNAUTHORIZED');
    }
    // Even the right password is refused while locked: the guesser must not learn it is right.
    const locked = await errorOf(server.anon.auth.signIn.mutate({ email: user.email, password: PASSWORD }));
    expect(locked.code).toBe('TOO_MANY_REQUESTS');
    server.clock.advance((SIGN_IN_LIMIT.windowMinutes + 1) * 60_000);
    const after = await server.anon.auth.signIn.mutate({ email: user.email, password: PASSWORD, client: 'extension' });
    expect(after.token).toBeTruthy();
  });

  it('signing out ends that session only', async () => {
    const user = await signUp(server);
    const second = await server.anon.auth.signIn.mutate({ email: user.email, password: PASSWORD, client: 'extension' });
    await user.api.auth.signOut.mutate();
    expect(await user.api.auth.me.query()).toBeNull();
    expect((await errorOf(user.api.orgs.myJoinRequests.query())).code).toBe('UNAUTHORIZED');
    expect(await server.as(second.token!).auth.me.query()).not.toBeNull();
  });

  it('web sign-in sets an httpOnly cookie that authenticates, and returns no token in the body', async () => {
    const user = await signUp(server);
    const res = await fetch(`${server.url}/trpc/auth.signIn`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ json: { email: user.email, password: PASSWORD, client: 'web' } }),
    });
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/caretext_session=[^;]+;.*HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(((await res.json()) as any).result.data.json.token).toBeNull();
    const me = await fetch(`${server.url}/trpc/auth.me`, { headers: { cookie: cookie.split(';')[0]! } });
    expect(((await me.json()) as any).result.data.json.user.email).toBe(user.email);
  });

  it('resets a forgotten password by emailed link, once, and ends old sessions', async () => {
    const user = await signUp(server);
    await server.anon.auth.requestPasswordReset.mutate({ email: user.email });
    // Unknown emails get the same answer and no mail.
    await server.anon.auth.requestPasswordReset.mutate({ email: uniqueEmail() });
    const mail = await waitFor(() => server.db.prisma.devMail.findFirst({ where: { to: { contains: user.email }, subject: { contains: 'Reset' } } }));
    const token = /reset-password\/([A-Za-z0-9_-]+)/.exec(mail.text)![1]!;
    await server.anon.auth.resetPassword.mutate({ token, password: 'a brand new passphrase' });
    expect(await user.api.auth.me.query()).toBeNull();
    expect((await errorOf(server.anon.auth.signIn.mutate({ email: user.email, password: PASSWORD }))).code).toBe('UNAUTHORIZED');
    expect((await server.anon.auth.signIn.mutate({ email: user.email, password: 'a brand new passphrase', client: 'extension' })).token).toBeTruthy();
    const reused = await errorOf(server.anon.auth.resetPassword.mutate({ token, password: 'another new passphrase' }));
    expect(reused.message).toContain('expired or was already used');
  });
});
