import superjson from 'superjson';
import type { TestServer } from '../harness.js';

/**
 * Raw tRPC calls over HTTP, one request each (the harness client batches calls made in the same
 * tick, which the server refuses for auth procedures), with an optional client address that
 * the trusted loopback proxy passes on in X-Forwarded-For.
 */
export type RawAnswer = { status: number; code: string | null; message: string | null; data: any; setCookie: string | null };

export async function call(
  server: TestServer,
  path: string,
  input: unknown,
  options: { from?: string; token?: string; cookie?: string; method?: 'GET' | 'POST' } = {},
): Promise<RawAnswer> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.from) headers['x-forwarded-for'] = options.from;
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.cookie) headers.cookie = options.cookie;
  const method = options.method ?? 'POST';
  const encoded = superjson.serialize(input);
  const url = method === 'GET' ? `${server.url}/trpc/${path}?input=${encodeURIComponent(JSON.stringify(encoded))}` : `${server.url}/trpc/${path}`;
  const res = await fetch(url, { method, headers, body: method === 'POST' ? JSON.stringify(encoded) : undefined });
  const body = (await res.json()) as any;
  return {
    status: res.status,
    code: body.error?.json?.data?.code ?? body.error?.data?.code ?? null,
    message: body.error?.json?.message ?? body.error?.message ?? null,
    data: body.result ? superjson.deserialize(body.result.data) : (body.error?.json?.data ?? null),
    setCookie: res.headers.get('set-cookie'),
  };
}

export const signIn = (server: TestServer, email: string, password: string, from?: string) =>
  call(server, 'auth.signIn', { email, password, client: 'extension' }, { from });

/** A web sign-in: the session cookie, ready for a `cookie` header. */
export async function webSignIn(server: TestServer, email: string, password: string): Promise<string> {
  const answer = await call(server, 'auth.signIn', { email, password, client: 'web' });
  if (!answer.setCookie) throw new Error(`web sign-in failed: ${answer.status} ${answer.message}`);
  return answer.setCookie.split(';')[0]!;
}

export async function failedAttempts(server: TestServer, where: { email?: string; ip?: string }): Promise<number> {
  return server.db.prisma.loginAttempt.count({ where: { ...where, success: false } });
}
