import type { AppRouter } from '@caretext/server';
import { createTRPCClient, httpBatchLink, httpLink, httpSubscriptionLink, splitLink, type TRPCLink } from '@trpc/client';
import { observable } from '@trpc/server/observable';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import superjson from 'superjson';
import { sessionEndedHook } from './session-ended';

export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;

/** Watches every answer for an UNAUTHORIZED that carries why the session ended. */
const sessionEndedLink: TRPCLink<AppRouter> = () => ({ next, op }) =>
  observable((observer) =>
    next(op).subscribe({
      next: (value) => observer.next(value),
      error: (error) => {
        const data = error.data as { code?: string; reason?: string } | undefined;
        if (data?.code === 'UNAUTHORIZED' && data.reason) sessionEndedHook.current(data.reason, error.message);
        observer.error(error);
      },
      complete: () => observer.complete(),
    }),
  );

/** The one tRPC client of the web app. The session rides in an httpOnly cookie. */
export const trpc = createTRPCClient<AppRouter>({
  links: [
    sessionEndedLink,
    splitLink({
      condition: (op) => op.type === 'subscription',
      true: httpSubscriptionLink({
        url: '/trpc',
        transformer: superjson,
        eventSourceOptions: { withCredentials: true },
      }),
      false: splitLink({
        // The server refuses sign-in and password calls in a batch: they go one per request.
        condition: (op) => op.path.startsWith('auth.') && op.type === 'mutation',
        true: httpLink({ url: '/trpc', transformer: superjson, fetch: (url, init) => fetch(url, { ...init, credentials: 'include' }) }),
        false: httpBatchLink({
          url: '/trpc',
          transformer: superjson,
          // The server refuses batches of more than 10 calls: split larger ones.
          maxItems: 10,
          // Queries travel in the URL; Node refuses request heads over 16 KB (431). A blast preview
          // to 200 selected patients is ~9 KB on its own: such calls go in a request of their own.
          maxURLLength: 12_000,
          fetch: (url, init) => fetch(url, { ...init, credentials: 'include' }),
        }),
      }),
    }),
  ],
});
