import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDLE } from '../../src/auth/auth.service.js';
import { errorOf, orgWithStaff, PASSWORD, startTestServer, type TestServer, waitFor } from '../harness.js';
import { call, webSignIn } from './auth-http.js';

let server: TestServer;
beforeAll(async () => {
  // Live streams re-check their session often here, so idle expiry shows up without waiting long.
  server = await startTestServer({ sessionRecheckMs: 20 });
});
const streams: { unsubscribe(): void }[] = [];
afterAll(async () => {
  // An open stream (a failed test's) would keep the server from closing.
  for (const stream of streams) stream.unsubscribe();
  await server?.stop();
});

const MINUTE = 60_000;
const me = (cookie: string) => call(server, 'auth.me', undefined, { cookie, method: 'GET' });
const current = (cookie: string) => call(server, 'orgs.current', undefined, { cookie, method: 'GET' });

/** Listens to the organization's live stream as the holder of `token`; records how it ends. */
function listen(token: string) {
  const state = { events: [] as unknown[], error: null as null | { code?: string; message: string; reason?: string }, complete: false, started: false };
  const subscription = server.as(token).orgs.events.subscribe(undefined, {
    onStarted: () => (state.started = true),
    onData: (event) => state.events.push(event),
    onError: (error) => (state.error = { code: error.data?.code, message: error.message, reason: (error.data as { reason?: string })?.reason }),
    onComplete: () => (state.complete = true),
  });
  streams.push(subscription);
  return { state, stop: () => subscription.unsubscribe() };
}

describe('idle timeout (item 10)', () => {
  it('signs a web session out after 30 minutes without a request, and activity keeps it alive', async () => {
    const { member } = await orgWithStaff(server, 'Idle Clinic');
    const cookie = await webSignIn(server, member.email, PASSWORD);
    for (let i = 0; i < 4; i++) {
      server.clock.advance(IDLE.defaultWebMinutes * MINUTE - MINUTE);
      expect((await current(cookie)).status).toBe(200);
    }
    server.clock.advance((IDLE.defaultWebMinutes + 1) * MINUTE);
    const refused = await current(cookie);
    expect(refused).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
    expect(refused.message).toBe('You were signed out after 30 minutes of inactivity. Sign in again to continue.');
    expect(refused.data.reason).toBe('idle');
    // It stays ended (a policy change cannot revive it), and says why on later calls too.
    expect((await current(cookie)).message).toContain('30 minutes of inactivity');
    expect((await me(cookie)).data).toBeNull();
  });

  it("follows the organization's policy, which only admins change, and the change is audited", async () => {
    const { owner, member } = await orgWithStaff(server, 'Strict Clinic');
    const policies = (await owner.api.orgs.current.query()).policies!;
    expect(policies.idleTimeoutMinutes).toBe(30);
    expect((await errorOf(member.api.orgs.updatePolicies.mutate({ ...policies, idleTimeoutMinutes: 600 }))).code).toBe('FORBIDDEN');
    expect((await errorOf(owner.api.orgs.updatePolicies.mutate({ ...policies, idleTimeoutMinutes: 1 }))).code).toBe('BAD_REQUEST');
    await owner.api.orgs.updatePolicies.mutate({ ...policies, idleTimeoutMinutes: 10 });
    const audit = await server.db.prisma.auditEvent.findFirst({ where: { action: 'policy.changed', summary: { contains: 'idleTimeoutMinutes: 30 -> 10' } } });
    expect(audit).not.toBeNull();
    // Saving other policies without the field (an older client) leaves it as it was.
    const { idleTimeoutMinutes: _omitted, ...older } = policies;
    await owner.api.orgs.updatePolicies.mutate(older);
    expect((await owner.api.orgs.current.query()).policies!.idleTimeoutMinutes).toBe(10);

    const cookie = await webSignIn(server, member.email, PASSWORD);
    server.clock.advance(9 * MINUTE);
    expect((await current(cookie)).status).toBe(200);
    server.clock.advance(11 * MINUTE);
    expect((await current(cookie)).message).toBe('You were signed out after 10 minutes of inactivity. Sign in again to continue.');
  });

  it('gives extension (bearer) sessions their own, longer limit', async () => {
    const { member } = await orgWithStaff(server, 'Sidebar Clinic');
    server.clock.advance(2 * 60 * MINUTE);
    expect((await member.api.orgs.current.query()).name).toBe('Sidebar Clinic');
    server.clock.advance(IDLE.bearerMinutes * MINUTE + MINUTE);
    const refused = await errorOf(member.api.orgs.current.query());
    expect(refused).toEqual({ code: 'UNAUTHORIZED', message: 'You were signed out after 12 hours of inactivity. Sign in again to continue.' });
  });

  it('writes lastSeenAt at most once a minute, not on every request', async () => {
    const { member } = await orgWithStaff(server, 'Busy Clinic');
    const cookie = await webSignIn(server, member.email, PASSWORD);
    const session = () => server.db.prisma.session.findFirstOrThrow({ where: { user: { email: member.email }, kind: 'cookie' } });
    server.clock.advance(2 * MINUTE);
    await current(cookie);
    const touched = (await session()).lastSeenAt;
    server.clock.advance(10_000);
    await current(cookie);
    expect((await session()).lastSeenAt).toEqual(touched);
    server.clock.advance(IDLE.touchEveryMs);
    await current(cookie);
    expect((await session()).lastSeenAt.getTime()).toBeGreaterThan(touched.getTime());
  });
});

describe('live streams end with their session (item 10)', () => {
  it('on sign-out', async () => {
    const { member } = await orgWithStaff(server, 'Stream Clinic A');
    const stream = listen(member.token);
    await waitFor(async () => stream.state.started || null);
    await member.api.auth.signOut.mutate();
    await waitFor(async () => stream.state.error ?? null);
    expect(stream.state.error).toMatchObject({ code: 'UNAUTHORIZED', reason: 'signed_out' });
    stream.stop();
  });

  it('on idle expiry of a web session, with no request needed', async () => {
    const { member } = await orgWithStaff(server, 'Stream Clinic B');
    // The web app's stream rides on the session cookie; its token works as a bearer here.
    const cookie = await webSignIn(server, member.email, PASSWORD);
    const stream = listen(cookie.split('=')[1]!);
    await waitFor(async () => stream.state.started || null);
    server.clock.advance(20 * MINUTE);
    // An open stream is not activity, and 20 minutes is not yet idle: it stays open.
    await new Promise((resolve) => setImmediate(resolve));
    expect(stream.state.error).toBeNull();
    server.clock.advance(11 * MINUTE);
    await waitFor(async () => stream.state.error ?? null);
    expect(stream.state.error).toMatchObject({ code: 'UNAUTHORIZED', reason: 'idle' });
    expect(stream.state.error!.message).toContain('30 minutes of inactivity');
    stream.stop();
  });

  it('on a password reset', async () => {
    const { member } = await orgWithStaff(server, 'Stream Clinic C');
    const stream = listen(member.token);
    await waitFor(async () => stream.state.started || null);
    await call(server, 'auth.requestPasswordReset', { email: member.email });
    const mail = await waitFor(() => server.db.prisma.devMail.findFirst({ where: { to: { contains: member.email }, subject: { contains: 'Reset' } } }));
    const token = /reset-password\/([A-Za-z0-9_-]+)/.exec(mail.text)![1]!;
    expect((await call(server, 'auth.resetPassword', { token, password: 'a brand new passphrase' })).status).toBe(200);
    await waitFor(async () => stream.state.error ?? null);
    expect(stream.state.error).toMatchObject({ code: 'UNAUTHORIZED', reason: 'password_reset' });
    stream.stop();
  });
});
