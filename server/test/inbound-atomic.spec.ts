import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smsClinic, startTestServer, type TestServer } from './harness.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});

/**
 * A patient's text whose storing fails half-way (the database goes away, a constraint trips)
 * must not be recorded as received: the carrier retries on the 5xx, and the retry stores it.
 * The failure is a real one, raised by the database itself (a trigger on the message insert).
 */
describe('inbound texts are stored whole or not at all', () => {
  it('a callback that fails while storing its message is stored by the carrier retry, once', async () => {
    const clinic = await smsClinic(server, '+14155553311', 'Atomic Clinic');
    const sql = server.db.sql;
    const body = 'Running late, sorry';
    // A sequence is not rolled back with the failing transaction: only the first try fails.
    await sql.query(`CREATE SEQUENCE fail_once_seq`);
    await sql.query(`
      CREATE FUNCTION fail_message_once() RETURNS trigger AS $$
      BEGIN
        IF NEW.body = '${body}' AND nextval('fail_once_seq') = 1 THEN
          RAISE EXCEPTION 'simulated failure while storing the message';
        END IF;
        RETURN NEW;
      END $$ LANGUAGE plpgsql`);
    await sql.query(`CREATE TRIGGER fail_message_once BEFORE INSERT ON "Message" FOR EACH ROW EXECUTE FUNCTION fail_message_once()`);
    try {
      const { sid, webhook } = await server.simulator!.simulateInbound({ from: clinic.patient.phone!, to: clinic.number.e164, body });
      // The first try got a 5xx, the carrier's retry a 200.
      expect(webhook).toMatchObject({ attempts: 2, status: 200 });
      const stored = await server.db.prisma.message.findMany({ where: { carrierSid: sid } });
      expect(stored).toHaveLength(1);
      expect(stored[0]).toMatchObject({ body, direction: 'inbound', conversationId: clinic.conversationId });
      expect(await server.db.prisma.carrierEvent.count({ where: { messageSid: sid, kind: 'inbound' } })).toBe(1);
      // Staff see it once.
      const view = await clinic.member.api.conversations.get.query({ conversationId: clinic.conversationId });
      expect(view.messages.filter((m) => m.body === body)).toHaveLength(1);
    } finally {
      await sql.query(`DROP TRIGGER IF EXISTS fail_message_once ON "Message"`);
      await sql.query(`DROP FUNCTION IF EXISTS fail_message_once()`);
      await sql.query(`DROP SEQUENCE IF EXISTS fail_once_seq`);
    }
  });
});
