import type { AppRouter } from '@caretext/server';
import type { inferRouterOutputs } from '@trpc/server';
import { type Api, isSignedOut } from './api';

/**
 * What conversations.events delivers: changes in the caller's teams' conversations (a new message
 * whole), blasts' bulk changes (`conversations.changed`: conversations by id, asked for with
 * `bulk`), or the end of access.
 */
export type LiveEvent = inferRouterOutputs<AppRouter>['conversations']['events'] extends AsyncIterable<infer E> ? E : never;

type Hooks = {
  onEvent(event: LiveEvent): void;
  /** Connected (again): events may have been missed while it was down. */
  onStarted(): void;
  /** The stream dropped; the EventSource reconnects by itself. */
  onDown(): void;
  /** The server ended the stream because the session ended (sign-out, reset, idle): sign in again. */
  onSignedOut(): void;
};

/** The caller's team messages, live (conversations.events over SSE), while any sidebar is open. */
export class LiveFeed {
  private subscription: { unsubscribe(): void } | null = null;

  constructor(private readonly hooks: Hooks) {}

  get running(): boolean {
    return this.subscription !== null;
  }

  start(api: Api): void {
    this.stop();
    this.subscription = api.conversations.events.subscribe(
      { bulk: true },
      {
        onStarted: () => this.hooks.onStarted(),
        onData: (event) => this.hooks.onEvent(event as LiveEvent),
        onConnectionStateChange: (state) => {
          if (state.state === 'connecting' && state.error) this.hooks.onDown();
        },
        onError: (error) => {
          this.subscription = null;
          if (isSignedOut(error)) this.hooks.onSignedOut();
          else this.hooks.onDown();
        },
        onComplete: () => {
          this.subscription = null;
        },
      },
    );
  }

  stop(): void {
    this.subscription?.unsubscribe();
    this.subscription = null;
  }
}
