import { TRPCClientError } from '@trpc/client';
import { describe, expect, it } from 'vitest';
import type { Api } from './api';
import { LiveFeed } from './live';

type Handlers = { onError(error: unknown): void };

/** An Api whose events subscription hands its handlers to the test, as the tRPC client would. */
function apiWithStream() {
  let handlers: Handlers | null = null;
  const api = { conversations: { events: { subscribe: (_input: unknown, h: Handlers) => ((handlers = h), { unsubscribe() {} }) } } } as unknown as Api;
  return { api, fail: (error: unknown) => handlers!.onError(error) };
}

const refused = (code: string) => TRPCClientError.from({ error: { message: 'You were signed out after 30 minutes of inactivity.', code: -32001, data: { code } } } as never);

describe('LiveFeed', () => {
  it('a stream the server ended because the session ended signs the extension out, not "offline"', () => {
    const seen: string[] = [];
    const feed = new LiveFeed({ onEvent() {}, onStarted() {}, onDown: () => seen.push('down'), onSignedOut: () => seen.push('signed out') });
    const stream = apiWithStream();
    feed.start(stream.api);
    stream.fail(refused('UNAUTHORIZED'));
    expect(seen).toEqual(['signed out']);
    expect(feed.running).toBe(false);
  });

  it('any other stream error is a connection problem', () => {
    const seen: string[] = [];
    const feed = new LiveFeed({ onEvent() {}, onStarted() {}, onDown: () => seen.push('down'), onSignedOut: () => seen.push('signed out') });
    const stream = apiWithStream();
    feed.start(stream.api);
    stream.fail(new Error('network'));
    expect(seen).toEqual(['down']);
  });
});
