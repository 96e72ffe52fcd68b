import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StatusService } from '../src/messages/status.service.js';
import { smsClinic, startTestServer, TEST_DB, type TestServer, waitFor } from './harness.js';

/**
 * A status callback and the storing of its message's carrier id, at the same moment: the
 * callback's statement started before the sid was stored (so it matched no message), and
 * committed after the sender replayed stored callbacks (so the replay did not see it). One of
 * the two must still apply it, or the message stays "sent" until reconciliation hours later.
 * Seen in CI as a reconciliation test that never reached "delivered". The interleaving is made
 * exact with an advisory lock taken by a trigger on the callback's insert (PostgreSQL only:
 * PGlite runs one statement at a time by construction).
 */
describe.skipIf(TEST_DB !== 'postgres')('a status callback racing the stored carrier id', () => {
  let server: TestServer;
  let holder: pg.Client;
  beforeAll(async () => {
    server = await startTestServer();
    holder = new pg.Client({ connectionString: server.databaseUrl! });
    await holder.connect();
  });
  afterAll(async () => {
    await holder?.end();
    await server?.stop();
  });

  it('is applied when it commits after the sender replayed stored callbacks', async () => {
    const clinic = await smsClinic(server, '+14155557201', 'Race Clinic');
    const sql = server.db.sql;
    const now = server.clock.now();
    const message = await server.db.prisma.message.create({
      data: {
        orgId: clinic.org.id, conversationId: clinic.conversationId, direction: 'outbound', channel: 'sms', body: 'See you at 3.',
        status: 'sending', statusRank: 1, fromNumber: clinic.number.e164, toNumber: clinic.patient.phone, claimedBy: 'w', claimedAt: now, attempts: 1, createdAt: now,
      },
    });
    const sid = `SM${'9'.repeat(32)}`;
    await sql.query(`
      CREATE FUNCTION hold_status_insert() RETURNS trigger AS $$
      BEGIN
        IF NEW."messageSid" = '${sid}' THEN PERFORM pg_advisory_xact_lock(74219); END IF;
        RETURN NEW;
      END $$ LANGUAGE plpgsql`);
    await sql.query(`CREATE TRIGGER hold_status_insert BEFORE INSERT ON "CarrierEvent" FOR EACH ROW EXECUTE FUNCTION hold_status_insert()`);
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT pg_advisory_xact_lock(74219)');
      const status = server.app.get(StatusService);
      // The callback's statement takes its snapshot (no message has the sid), then waits in the trigger.
      const answered = status.receive({ MessageSid: sid, MessageStatus: 'delivered', AccountSid: 'AC', From: clinic.number.e164, To: clinic.patient.phone! });
      await waitFor(async () => {
        const { rows } = await holder.query(`SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND objid = 74219 AND NOT granted`);
        return rows.length ? true : null;
      });
      // Meanwhile the sender stores the sid and replays what is stored: nothing yet.
      await server.db.prisma.message.update({ where: { id: message.id }, data: { carrierSid: sid, status: 'sent', statusRank: 2, sentAt: now } });
      await status.applyStored(sid);
      expect(await server.db.prisma.message.findUniqueOrThrow({ where: { id: message.id } })).toMatchObject({ status: 'sent' });
      // The callback commits afterwards.
      await holder.query('COMMIT');
      expect(await answered).toBe('stored');
      expect(await server.db.prisma.message.findUniqueOrThrow({ where: { id: message.id } })).toMatchObject({ status: 'delivered', deliveredAt: expect.any(Date) });
    } finally {
      await holder.query('ROLLBACK').catch(() => {});
      await sql.query(`DROP TRIGGER IF EXISTS hold_status_insert ON "CarrierEvent"`);
      await sql.query(`DROP FUNCTION IF EXISTS hold_status_insert()`);
    }
  });
});
