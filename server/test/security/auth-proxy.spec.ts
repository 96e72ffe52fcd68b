import { afterEach, describe, expect, it } from 'vitest';
import { SIGN_IN_LIMIT } from '../../src/auth/auth.service.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { startTestServer, type TestServer, uniqueEmail } from '../harness.js';
import { signIn } from './auth-http.js';

let server: TestServer | null = null;
afterEach(async () => {
  await server?.stop();
  server = null;
});

/** The address sign-in attempts were counted under, for a request claiming `forwardedFor`. */
async function countedAddress(s: TestServer, forwardedFor: string): Promise<string | null> {
  const email = uniqueEmail('proxy');
  expect((await signIn(s, email, 'wrong password', forwardedFor)).status).toBe(401);
  return (await s.db.prisma.loginAttempt.findFirstOrThrow({ where: { email } })).ip;
}

describe('the client address behind a trusted proxy (item 11)', () => {
  it('follows X-Forwarded-For from a trusted proxy (the default: one on this machine)', async () => {
    server = await startTestServer();
    expect(await countedAddress(server, '203.0.113.50')).toBe('203.0.113.50');
    // A client cannot prepend its own entries past the proxy: the proxy appends the real peer.
    expect(await countedAddress(server, '198.51.100.1, 203.0.113.51')).toBe('203.0.113.51');
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', async () => {
    server = await startTestServer({ trustProxy: ['10.0.0.0/8'] });
    expect(await countedAddress(server, '203.0.113.60')).toMatch(/127\.0\.0\.1$/);
    // So a guesser cannot spread attempts over made-up addresses to dodge the limit.
    const email = uniqueEmail('victim');
    const statuses = [];
    for (let i = 0; i <= SIGN_IN_LIMIT.perEmailAndAddress; i++) statuses.push((await signIn(server, email, `guess ${i}`, `203.0.113.${70 + i}`)).status);
    expect(statuses.at(-1)).toBe(429);
  });

  it('parses TRUST_PROXY and stops the boot on a value it does not understand', () => {
    expect(loadConfig({}).trustProxy).toBe('loopback');
    expect(loadConfig({ TRUST_PROXY: 'none' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 192.168.1.5 ,loopback' }).trustProxy).toEqual(['10.0.0.0/8', '192.168.1.5', 'loopback']);
    for (const bad of ['true', 'everyone', '10.0.0.0/33', '300.1.1.1', '99']) {
      expect(() => loadConfig({ TRUST_PROXY: bad })).toThrow(ConfigError);
      expect(() => loadConfig({ TRUST_PROXY: bad })).toThrow('TRUST_PROXY:');
    }
  });
});
