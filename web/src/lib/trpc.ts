import type { AppRouter } from '@caretext/server';
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink } from '@trpc/client';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import superjson from 'superjson';

export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;

/** The one tRPC client of the web app. The session rides in an httpOnly cookie. */
export const trpc = createTRPCClient<AppRouter>({
  links: [
    splitLink({
      condition: (op) => op.type === 'subscription',
      true: httpSubscriptionLink({
        url: '/trpc',
        transformer: superjson,
        eventSourceOptions: { withCredentials: true },
      }),
      false: httpBatchLink({
        url: '/trpc',
        transformer: superjson,
        // The server refuses batches of more than 10 calls: split larger ones.
        maxItems: 10,
        fetch: (url, init) => fetch(url, { ...init, credentials: 'include' }),
      }),
    }),
  ],
});
