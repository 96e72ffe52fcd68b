import 'fake-indexeddb/auto';
import { TRPCClientError } from '@trpc/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SendMessageInput } from '@caretext/shared';
import { type Delivery, Outbox, SendRefused } from './outbox';
import { type CareTextDb, openStore } from './store';

/**
 * A server that answers conversations.send like the real one: a send by patient and team finds
 * or starts that conversation, each idempotency key is stored once, and it can be cut off.
 */
function fakeServer() {
  const stored = new Map<string, { conversationId: string; body: string; requestsConfirmation: boolean }>();
  const conversations = new Map<string, string>();
  const calls: SendMessageInput[] = [];
  const state = { reachable: true, loseNextAnswer: false, refuse: null as null | { reason: string; message: string }, arrivals: 0 };
  const unreachable = () => TRPCClientError.from(new TypeError('Failed to fetch'));
  const delivery: Delivery = {
    async send(input) {
      if (!state.reachable) throw unreachable();
      calls.push(input);
      state.arrivals++;
      if (state.refuse) {
        throw TRPCClientError.from({ error: { code: -32600, message: state.refuse.message, data: { code: 'PRECONDITION_FAILED', httpStatus: 412, reason: state.refuse.reason, details: {} } } });
      }
      const where = `${input.patientId}/${input.teamId}`;
      const conversationId = input.conversationId ?? conversations.get(where) ?? `c${conversations.size + 1}`;
      if (!input.conversationId) conversations.set(where, conversationId);
      const key = input.idempotencyKey!;
      const duplicate = stored.has(key);
      if (!duplicate) stored.set(key, { conversationId, body: input.body, requestsConfirmation: Boolean(input.requestsConfirmation) });
      if (state.loseNextAnswer) {
        // The server got it; the answer never made it back.
        state.loseNextAnswer = false;
        throw unreachable();
      }
      return { duplicate, conversationId: stored.get(key)!.conversationId, messageId: `m_${key}`, status: 'queued', sendAfter: null };
    },
  };
  return { stored, conversations, calls, state, delivery };
}

let db: CareTextDb;
let server: ReturnType<typeof fakeServer>;
let events: { unreachable: number; pending: number[] };
const outbox = () =>
  new Outbox(db, () => server.delivery, {
    onUnreachable: () => events.unreachable++,
    onSignedOut: () => undefined,
    onChange: (n) => events.pending.push(n),
  });
const message = (key: string, body = `Hello ${key}`) => ({ orgId: 'org', patientId: 'p1', teamId: 't1', body, idempotencyKey: `key-${key}-0000` });

beforeEach(() => {
  db = openStore(`outbox-test-${Math.random()}`);
  server = fakeServer();
  events = { unreachable: 0, pending: [] };
});
afterEach(() => db.delete());

describe('outbox', () => {
  it('sends at once when the server answers, and keeps nothing', async () => {
    const result = await outbox().send(message('a'));
    expect(result).toMatchObject({ status: 'sent', messageId: 'm_key-a-0000', duplicate: false });
    expect(server.stored.size).toBe(1);
    expect(await db.outbox.count()).toBe(0);
  });

  it('a secure send carries its file ids, also when it waited offline; an SMS never carries any', async () => {
    server.state.reachable = false;
    expect(await outbox().send({ ...message('a', ''), channel: 'secure', attachmentIds: ['att-1', 'att-2'] })).toEqual({ status: 'queued' });
    server.state.reachable = true;
    await outbox().flush();
    await outbox().send({ ...message('b'), attachmentIds: ['att-3'] });
    expect(server.calls).toEqual([
      { patientId: 'p1', teamId: 't1', body: '', idempotencyKey: 'key-a-0000', channel: 'secure', attachmentIds: ['att-1', 'att-2'] },
      { patientId: 'p1', teamId: 't1', body: 'Hello b', idempotencyKey: 'key-b-0000' },
    ]);
  });

  it('sends the first message to a patient in one round trip, naming the patient and the team', async () => {
    await outbox().send({ ...message('a'), requestsConfirmation: true });
    expect(server.calls).toEqual([{ patientId: 'p1', teamId: 't1', body: 'Hello a', idempotencyKey: 'key-a-0000', requestsConfirmation: true }]);
    expect(server.stored.get('key-a-0000')).toEqual({ conversationId: 'c1', body: 'Hello a', requestsConfirmation: true });
    await outbox().send(message('b'));
    expect(server.calls).toHaveLength(2);
    expect([...server.conversations.values()]).toEqual(['c1']);
  });

  it('keeps a message sent offline on disk, and sends it exactly once when the server is back', async () => {
    server.state.reachable = false;
    const box = outbox();
    expect(await box.send(message('a'))).toEqual({ status: 'queued' });
    expect(events.unreachable).toBe(1);
    expect(await db.outbox.get('key-a-0000')).toMatchObject({ state: 'waiting', body: 'Hello a' });
    // A double click while offline does not queue it twice.
    expect(await box.send(message('a'))).toEqual({ status: 'queued' });
    expect(await db.outbox.count()).toBe(1);

    server.state.reachable = true;
    await Promise.all([box.flush(), box.flush(), box.flush()]);
    await box.flush();
    expect([...server.stored.keys()]).toEqual(['key-a-0000']);
    expect(server.state.arrivals).toBe(1);
    expect(await db.outbox.count()).toBe(0);
    expect(events.pending.at(-1)).toBe(0);
  });

  it('a lost answer is retried with the same key: the server stores the message once', async () => {
    server.state.loseNextAnswer = true;
    const box = outbox();
    expect(await box.send(message('a'))).toEqual({ status: 'queued' });
    await box.flush();
    expect(server.state.arrivals).toBe(2);
    expect(server.stored.size).toBe(1);
    expect(await db.outbox.count()).toBe(0);
  });

  it('survives a service worker restart: a new outbox on the same database sends what waits, in order', async () => {
    server.state.reachable = false;
    await outbox().send(message('a', 'first'));
    await outbox().send(message('b', 'second'));
    server.state.reachable = true;
    await outbox().flush();
    expect([...server.stored.values()].map((m) => m.body)).toEqual(['first', 'second']);
  });

  it('a refusal while the sender waits comes back with its reason and leaves nothing queued', async () => {
    server.state.refuse = { reason: 'phi', message: 'This text looks like it contains a diagnosis.' };
    const error = await outbox()
      .send(message('a', 'Your diabetes results'))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SendRefused);
    expect((error as SendRefused).failure).toMatchObject({ reason: 'phi', message: 'This text looks like it contains a diagnosis.' });
    expect(await db.outbox.count()).toBe(0);
  });

  it('a queued message the server refuses later stays visible as failed and is not retried', async () => {
    server.state.reachable = false;
    const box = outbox();
    await box.send(message('a'));
    server.state.reachable = true;
    server.state.refuse = { reason: 'opted_out', message: 'The patient opted out.' };
    await box.flush();
    await box.flush();
    expect(server.state.arrivals).toBe(1);
    expect(await box.forPatient('org', 'p1')).toMatchObject([{ state: 'failed', error: 'The patient opted out.' }]);
    expect(await box.pending()).toBe(0);
    await box.discard('key-a-0000');
    expect(await db.outbox.count()).toBe(0);
  });

  it('a flush while a send is in flight does not send it again (counted at the delivery, not hidden by the server’s idempotency)', async () => {
    const calls: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const inner = server.delivery;
    const box = new Outbox(
      db,
      () => ({
        async send(input) {
          calls.push(input.idempotencyKey!);
          await held; // the request is on its way; the answer has not come back yet
          return inner.send(input);
        },
      }),
      { onUnreachable: () => undefined, onSignedOut: () => undefined, onChange: () => undefined },
    );
    const sending = box.send(message('g'));
    for (let i = 0; i < 50 && calls.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(calls).toEqual(['key-g-0000']);
    // Reconnection (or the retry alarm) flushes while the composer's send waits for its answer.
    const flushed = box.flush();
    for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 5));
    expect(calls).toEqual(['key-g-0000']);
    release();
    await Promise.all([sending, flushed]);
    expect(calls).toEqual(['key-g-0000']);
    expect(await db.outbox.count()).toBe(0);
  });
});

