import type { TestServer } from '../harness.js';
import { PASSWORD } from '../harness.js';

/** A browser-style session: signs in with client 'web' and returns the session cookie pair. */
export async function webCookie(server: TestServer, email: string): Promise<string> {
  const res = await fetch(`${server.url}/trpc/auth.signIn`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: server.url },
    body: JSON.stringify({ json: { email, password: PASSWORD, client: 'web' } }),
  });
  const cookie = res.headers.get('set-cookie');
  if (!cookie) throw new Error(`web sign-in failed: ${res.status} ${await res.text()}`);
  return cookie.split(';')[0]!;
}

/** A raw tRPC call over fetch (so tests control every header), with superjson's envelope. */
export async function trpcFetch(server: TestServer, path: string, init: { method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: RequestInit['body']; input?: unknown } = {}) {
  const method = init.method ?? 'POST';
  const query = method === 'GET' && init.input !== undefined ? `?input=${encodeURIComponent(JSON.stringify({ json: init.input }))}` : '';
  const body = method === 'POST' ? (init.body ?? JSON.stringify(init.input === undefined ? {} : { json: init.input })) : undefined;
  const res = await fetch(`${server.url}/trpc/${path}${query}`, { method, headers: init.headers, body });
  const text = await res.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  return { status: res.status, headers: res.headers, json, text };
}
