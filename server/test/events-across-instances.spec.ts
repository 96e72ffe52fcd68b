import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBus } from '../src/events/event-bus.js';
import { LISTEN_APPLICATION_NAME } from '../src/events/pg-notify-event-bus.js';
import { SendWorker } from '../src/messages/send-worker.js';
import { WEBHOOK_PATHS } from '../src/numbers/numbers.service.js';
import { smsClinic, startAnotherInstance, startTestServer, TEST_DATABASE_URL, TEST_DB, type TestServer, waitFor } from './harness.js';

type Seen = { type: string; message?: { id: string; body?: string; status: string; direction: string } };

/**
 * Two server instances on one PostgreSQL database (as behind a load balancer): live events go
 * through LISTEN/NOTIFY, so a screen connected to A sees what B handled. PGlite is one process
 * by construction (in-process bus): nothing to test there.
 */
describe.runIf(TEST_DB === 'postgres')('live events across two instances on one PostgreSQL', () => {
  let a: TestServer;
  let b: TestServer;
  let clinic: Awaited<ReturnType<typeof smsClinic>>;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });

  beforeAll(async () => {
    a = await startTestServer();
    clinic = await smsClinic(a, '+14155554100');
    b = await startAnotherInstance(a);
    // B's simulator learned the number at start, before B knew its own URL: point it at B.
    const number = await a.db.prisma.phoneNumber.findUniqueOrThrow({ where: { id: clinic.number.id } });
    b.simulator!.registerNumber({ phoneNumber: number.e164, sid: number.carrierSid, smsUrl: b.url + WEBHOOK_PATHS.inbound, statusCallback: b.url + WEBHOOK_PATHS.status });
    await admin.connect();
  });
  afterAll(async () => {
    await admin.end();
    await b?.stop();
    await a?.stop();
  });

  /** conversations.events for the clinic's member on `server`, collected; resolves once the stream is open. */
  async function watch(server: TestServer) {
    const seen: Seen[] = [];
    let sub: { unsubscribe(): void } | undefined;
    await new Promise<void>((resolve) => {
      sub = server.as(clinic.member.token).conversations.events.subscribe({}, { onStarted: () => resolve(), onData: (e) => void seen.push(e as Seen) });
    });
    return { seen, stop: () => sub!.unsubscribe(), bodies: (body: string) => seen.filter((e) => e.type === 'message.created' && e.message?.body === body).length };
  }

  it("a subscriber on A sees a reply whose webhook hit B and the statuses of B's send, each once; A's own events once on both", async () => {
    const onA = await watch(a);
    const onB = await watch(b);
    try {
      const reply = await b.simulator!.simulateInbound({ from: clinic.patient.phone!, to: clinic.number.e164, body: 'Reply through B' });
      expect(reply.webhook).toMatchObject({ url: b.url + WEBHOOK_PATHS.inbound });
      await waitFor(async () => onA.bodies('Reply through B') > 0 || null);
      expect(onA.seen.find((e) => e.message?.body === 'Reply through B')).toMatchObject({ type: 'message.created', message: { direction: 'inbound', status: 'received' } });

      // Only B sends from here on, so each status change below is B's worker and B's callbacks.
      await a.app.get(SendWorker).onApplicationShutdown();
      const sent = await b.as(clinic.member.token).conversations.send.mutate({ conversationId: clinic.conversationId, body: 'Sent by B' });
      await waitFor(async () => onA.seen.some((e) => e.type === 'message.updated' && e.message?.id === sent.messageId && e.message.status === 'delivered') || null);
      expect(b.simulator!.messages().filter((m) => m.body === 'Sent by B')).toHaveLength(1);
      expect(a.simulator!.messages().filter((m) => m.body === 'Sent by B')).toHaveLength(0);

      // A's own publish comes back to A through the channel exactly once, and reaches B too.
      await a.simulator!.simulateInbound({ from: clinic.patient.phone!, to: clinic.number.e164, body: 'Reply through A' });
      await waitFor(async () => (onA.bodies('Reply through A') > 0 && onB.bodies('Reply through A') > 0) || null);
      // One instance's NOTIFYs arrive in order: a marker sent after them means no duplicate is still on its way.
      await b.simulator!.simulateInbound({ from: clinic.patient.phone!, to: clinic.number.e164, body: 'Marker' });
      await waitFor(async () => (onA.bodies('Marker') > 0 && onB.bodies('Marker') > 0) || null);
      for (const body of ['Reply through B', 'Sent by B', 'Reply through A']) {
        expect([body, onA.bodies(body), onB.bodies(body)]).toEqual([body, 1, 1]);
      }
    } finally {
      onA.stop();
      onB.stop();
    }
  });

  it("a burst published at once (a batch of status callbacks) reaches the other instance's subscriber whole, once each, in order", async () => {
    const onB = await watch(b);
    try {
      const bus = a.app.get(EventBus);
      const publish = (id: string) =>
        bus.publish(clinic.org.id, { type: 'message.updated', teamId: clinic.team.id, conversationId: clinic.conversationId, patientId: clinic.patient.id, message: { id, direction: 'outbound', status: 'delivered' }, conversation: null } as never);
      // The stream being open (onStarted) is not the server iterating it yet: one event seen first.
      publish('m-warm');
      await waitFor(async () => onB.seen.some((e) => e.message?.id === 'm-warm') || null);
      const ids = Array.from({ length: 300 }, (_, i) => `m-burst-${i}`);
      // In one tick: the first goes out alone, the rest wait for it and go together (NOTIFY batches).
      for (const id of ids) publish(id);
      await waitFor(async () => onB.seen.some((e) => e.message?.id === ids.at(-1)) || null, 800);
      expect(onB.seen.filter((e) => e.message?.id.startsWith('m-burst-')).map((e) => e.message!.id)).toEqual(ids);
    } finally {
      onB.stop();
    }
  });

  it('an event too large for NOTIFY reaches the other instance as a re-read for its organization, not as nothing', async () => {
    const onB = await watch(b);
    try {
      const message = { id: 'm-huge', direction: 'inbound', status: 'received', body: 'x'.repeat(9_000) };
      a.app.get(EventBus).publish(clinic.org.id, { type: 'message.created', teamId: clinic.team.id, conversationId: clinic.conversationId, patientId: clinic.patient.id, message, conversation: null } as never);
      await waitFor(async () => onB.seen.some((e) => e.type === 'resync') || null);
      expect(onB.seen.filter((e) => e.message?.id === 'm-huge')).toHaveLength(0);
    } finally {
      onB.stop();
    }
  });

  it('the LISTEN connection comes back after pg_terminate_backend; /health says so and subscribers are told to re-read', async () => {
    const onA = await watch(a);
    const database = (await a.db.sql.query<{ name: string }>('SELECT current_database() AS name'))[0]!.name;
    const health = async () => ((await (await fetch(`${a.url}/health`)).json()) as { events: { kind: string; ok: boolean } }).events;
    expect(await health()).toEqual({ kind: 'postgres-notify', ok: true });
    try {
      // New connections refused meanwhile (a restart in progress): the LISTEN connections stay down until allowed.
      await admin.query(`ALTER DATABASE ${database} ALLOW_CONNECTIONS false`);
      const killed = await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = $2', [database, LISTEN_APPLICATION_NAME]);
      expect(killed.rowCount).toBe(2); // A's and B's
      await waitFor(async () => ((await health()).ok === false ? true : null));
      expect(await health()).toEqual({ kind: 'postgres-notify', ok: false });
    } finally {
      await admin.query(`ALTER DATABASE ${database} ALLOW_CONNECTIONS true`);
    }
    try {
      await waitFor(async () => ((await health()).ok && onA.seen.some((e) => e.type === 'resync')) || null, 400);
      // Both are listening again: B's next event reaches the subscriber on A.
      await waitFor(async () => (await admin.query('SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND application_name = $2', [database, LISTEN_APPLICATION_NAME])).rowCount === 2 || null, 400);
      await b.simulator!.simulateInbound({ from: clinic.patient.phone!, to: clinic.number.e164, body: 'After the outage' });
      await waitFor(async () => onA.bodies('After the outage') > 0 || null);
    } finally {
      onA.stop();
    }
  });

  it('a sign-out on B ends the session\'s live stream on A at once, not at its next re-check', async () => {
    const ended: { code?: string; reason?: string }[] = [];
    await new Promise<void>((resolve) => {
      a.as(clinic.admin.token).orgs.events.subscribe(undefined, {
        onStarted: () => resolve(),
        onError: (error) => void ended.push({ code: error.data?.code, reason: (error.data as { reason?: string })?.reason }),
      });
    });
    await b.as(clinic.admin.token).auth.signOut.mutate();
    // The stream's own re-check comes every 30 s (sessionRecheckMs): within waitFor's bound, only the event can end it.
    await waitFor(async () => ended[0] ?? null);
    expect(ended).toEqual([{ code: 'UNAUTHORIZED', reason: 'signed_out' }]);
  });
});
