import type { AppRouter } from '@caretext/server';
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink, TRPCClientError } from '@trpc/client';
import { EventSource } from 'eventsource';
import superjson from 'superjson';
import type { Failure } from '../protocol';

export type Api = ReturnType<typeof createApi>;

/**
 * The extension's one tRPC client, for one server and (optionally) one bearer token. Pages
 * never see the token: only this service worker holds it and sends it. Subscriptions ride SSE
 * through the `eventsource` package, whose fetch option lets us add the Authorization header
 * (a browser EventSource cannot, and a service worker has no cookies for the server).
 */
export function createApi(serverUrl: string, token: string | null) {
  const headers = (): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});
  const url = `${serverUrl}/trpc`;
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: httpSubscriptionLink({
          url,
          transformer: superjson,
          EventSource,
          eventSourceOptions: () => ({
            fetch: (input: string | URL | Request, init?: RequestInit) =>
              fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), ...headers() } }),
          }),
        }),
        false: httpBatchLink({ url, transformer: superjson, headers }),
      }),
    ],
  });
}

export { serverOrigin } from '../server-address';

/**
 * No answer from the server at all (offline, DNS, refused, a proxy's 502 page): the request may
 * or may not have arrived, so only an idempotent retry is safe.
 */
export function isUnreachable(error: unknown): boolean {
  if (!(error instanceof TRPCClientError)) return error instanceof TypeError;
  return !error.data && !error.shape;
}

export function isSignedOut(error: unknown): boolean {
  return error instanceof TRPCClientError && (error.data as { code?: string } | undefined)?.code === 'UNAUTHORIZED';
}

/** Any error as data for the content script: the server's refusal reason survives. */
export function failureOf(error: unknown): Failure {
  if (isUnreachable(error)) return { message: 'CareText is unreachable. Check your connection.', reason: 'offline', details: {} };
  if (error instanceof TRPCClientError) {
    const data = (error.data ?? {}) as { code?: string; reason?: unknown; details?: unknown };
    const reason = typeof data.reason === 'string' ? data.reason : data.code === 'UNAUTHORIZED' ? 'signed_out' : null;
    const details = data.details && typeof data.details === 'object' ? (data.details as Record<string, unknown>) : {};
    return { message: error.message, reason, details };
  }
  return { message: error instanceof Error ? error.message : String(error), reason: null, details: {} };
}
