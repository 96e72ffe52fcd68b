import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SendWorker } from '../src/messages/send-worker.js';
import { createSimulatorCredentials, createTwilioSimulator } from '../src/carriers/simulator/twilio-simulator.js';
import { startAnotherInstance, startTestServer, TEST_DB, type TestServer, waitFor } from './harness.js';

const RATE = 20; // messages per second of the number
const COUNT = 60;

/**
 * A number's send rate holds across all instances together, measured where it counts: at the
 * carrier, by when each message arrived there. One shared carrier (the simulator on the real
 * clock) for every instance. Only an upper bound is asserted: a busy machine sends later, and
 * a message that could not go on time is queued again for a later slot, never sent early.
 */
describe('send pacing per number', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    cleanups.length = 0;
  });

  async function carrier() {
    const credentials = createSimulatorCredentials();
    const simulator = createTwilioSimulator({ ...credentials, deliver: 'manual', log: () => {} });
    const app = express();
    app.use('/twilio', simulator.router);
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanups.push(async () => {
      simulator.stop();
      server.close();
    });
    const twilio = { ...credentials, apiBase: `http://127.0.0.1:${(server.address() as AddressInfo).port}/twilio` };
    return { simulator, twilio };
  }

  async function queueMessages(server: TestServer, simulator: ReturnType<typeof createTwilioSimulator>) {
    const db = server.db;
    const e164 = '+14155552101';
    const patientPhone = '+14155553101';
    simulator.registerNumber({ phoneNumber: e164, sid: `PN${'2'.repeat(32)}` });
    const org = await db.prisma.org.create({ data: { name: 'Paced Clinic', joinCode: 'PACED-1', plan: 'sms', smsEnabled: true } });
    const team = await db.prisma.team.create({ data: { orgId: org.id, name: 'Front Desk' } });
    const number = await db.prisma.phoneNumber.create({ data: { orgId: org.id, teamId: team.id, e164, carrierSid: `PN${'2'.repeat(32)}`, messagesPerSecond: RATE } });
    const patient = await db.prisma.patient.create({ data: { orgId: org.id, firstName: 'Amina', phone: patientPhone, phoneLineType: 'mobile' } });
    const conversation = await db.prisma.conversation.create({ data: { orgId: org.id, teamId: team.id, kind: 'sms', phoneNumberId: number.id, patientId: patient.id } });
    const queue = (count: number, body: string) =>
      db.prisma.message.createMany({
        data: Array.from({ length: count }, (_, i) => ({
          orgId: org.id, conversationId: conversation.id, direction: 'outbound', channel: 'sms', body: `${body} ${i}`,
          status: 'queued', fromNumber: e164, toNumber: patientPhone, createdAt: new Date(Date.now() + i),
        })),
      });
    // A process's first carrier calls are slow (connections, code run for the first time): they
    // would reach the carrier late and bunch with the next ones, which says nothing about pacing.
    await queue(4, 'Warm-up');
    await waitFor(async () => (simulator.messages().filter((m) => m.body.startsWith('Warm-up')).length === 4 ? true : null), 4000);
    await queue(COUNT, 'Reminder');
  }

  /** Every message at the carrier exactly once, and no one-second window with more than the rate + 5% (21). */
  async function expectPaced(server: TestServer, simulator: ReturnType<typeof createTwilioSimulator>) {
    await waitFor(async () => {
      const [left] = await server.db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM "Message" WHERE "carrierSid" IS NULL`);
      return left!.n === 0 ? true : null;
    }, 4000);
    const sent = simulator.messages().filter((m) => m.direction === 'outbound-api' && m.body.startsWith('Reminder'));
    expect(new Set(sent.map((m) => m.body)).size).toBe(COUNT);
    expect(sent.length).toBe(COUNT);
    const times = sent.map((m) => m.dateCreated.getTime()).sort((a, b) => a - b);
    const busiest = Math.max(...times.map((t) => times.filter((u) => u >= t && u < t + 1000).length));
    expect(busiest).toBeLessThanOrEqual(Math.floor(RATE * 1.05));
  }

  it("a number's long backlog does not hold back another number's message", async () => {
    const { simulator, twilio } = await carrier();
    const server = await startTestServer({ twilio });
    cleanups.push(() => server.stop());
    const db = server.db;
    const org = await db.prisma.org.create({ data: { name: 'Backlog Clinic', joinCode: 'BACKLOG-1', plan: 'sms', smsEnabled: true } });
    const team = await db.prisma.team.create({ data: { orgId: org.id, name: 'Front Desk' } });
    const line = async (e164: string, sidDigit: string, patientPhone: string) => {
      simulator.registerNumber({ phoneNumber: e164, sid: `PN${sidDigit.repeat(32)}` });
      const number = await db.prisma.phoneNumber.create({ data: { orgId: org.id, teamId: team.id, e164, carrierSid: `PN${sidDigit.repeat(32)}`, messagesPerSecond: 1 } });
      const patient = await db.prisma.patient.create({ data: { orgId: org.id, firstName: 'Pat', phone: patientPhone, phoneLineType: 'mobile' } });
      const conversation = await db.prisma.conversation.create({ data: { orgId: org.id, teamId: team.id, kind: 'sms', phoneNumberId: number.id, patientId: patient.id } });
      return { e164, patientPhone, conversationId: conversation.id };
    };
    const busy = await line('+14155552201', '3', '+14155553201');
    const quiet = await line('+14155552202', '4', '+14155553202');
    const BACKLOG = 120; // more than one claim's pick (50), at 1/s: minutes of backlog
    const base = Date.now() - 60_000;
    await db.prisma.message.createMany({
      data: [
        ...Array.from({ length: BACKLOG }, (_, i) => ({ orgId: org.id, conversationId: busy.conversationId, direction: 'outbound', channel: 'sms', body: `Blast ${i}`, status: 'queued', fromNumber: busy.e164, toNumber: busy.patientPhone, createdAt: new Date(base + i) })),
        { orgId: org.id, conversationId: quiet.conversationId, direction: 'outbound', channel: 'sms', body: 'Your ride is here', status: 'queued', fromNumber: quiet.e164, toNumber: quiet.patientPhone, createdAt: new Date(base + BACKLOG) },
      ],
    });
    server.app.get(SendWorker).wake();
    // Not a timing: when the other number's message leaves the queue, most of the backlog must
    // still be there (before, it was picked only once fewer than 50 of the backlog were left).
    await waitFor(async () => ((await db.prisma.message.findFirst({ where: { fromNumber: quiet.e164, status: { not: 'queued' } } })) ? true : null), 2400);
    const stillQueued = await db.prisma.message.count({ where: { fromNumber: busy.e164, status: 'queued' } });
    expect(stillQueued).toBeGreaterThan(BACKLOG - 50);
    // Not minutes of sending at 1/s before the server can stop.
    await db.prisma.message.updateMany({ where: { fromNumber: busy.e164, status: 'queued' }, data: { status: 'canceled' } });
  });

  it(`one instance sends ${COUNT} messages from a ${RATE}/s number no faster than ${RATE}/s`, async () => {
    const { simulator, twilio } = await carrier();
    const server = await startTestServer({ twilio });
    cleanups.push(() => server.stop());
    await queueMessages(server, simulator);
    await expectPaced(server, simulator);
  }, 120_000);

  it('a stalled worker sends its late messages in order, one interval apart, none queued again', async () => {
    const { simulator, twilio } = await carrier();
    // Counts the messages the worker queued again (it still does so; the spy only watches).
    const queuedAgain = vi.spyOn(SendWorker.prototype as unknown as { requeueLate: () => Promise<void> }, 'requeueLate');
    cleanups.push(async () => queuedAgain.mockRestore());
    const server = await startTestServer({ twilio });
    cleanups.push(() => server.stop());
    await queueMessages(server, simulator);
    // The process stalls (a long synchronous task, a busy machine) while the worker holds booked
    // slots: every message due meanwhile wakes hundreds of milliseconds late. They were booked by
    // this instance alone, so they go late, in line, instead of back to the queue (which put them
    // behind the later ones, and on a machine that stays busy, again and again).
    await waitFor(async () => (simulator.messages().filter((m) => m.body.startsWith('Reminder')).length >= 3 ? true : null), 4000);
    const stallUntil = Date.now() + 600;
    while (Date.now() < stallUntil);
    await expectPaced(server, simulator);
    const sent = simulator.messages().filter((m) => m.direction === 'outbound-api' && m.body.startsWith('Reminder'));
    const order = sent.map((m) => Number(m.body.split(' ')[1])); // in the order they reached the carrier
    expect(queuedAgain).not.toHaveBeenCalled();
    // Requests a moment apart may overtake each other on the way to the carrier (on a busy
    // machine several are on the way at once); one queued again went behind all those booked
    // after it (two seconds of them: 40).
    const displaced = order.map((n, position) => ({ n, by: position - n })).filter((m) => Math.abs(m.by) > 10);
    expect(displaced).toEqual([]);
  }, 120_000);

  it.runIf(TEST_DB === 'postgres')(`two instances on one database together send no faster than ${RATE}/s`, async () => {
    const { simulator, twilio } = await carrier();
    const first = await startTestServer({ twilio });
    cleanups.push(() => first.stop());
    const second = await startAnotherInstance(first, { twilio });
    cleanups.push(() => second.stop());
    await queueMessages(first, simulator);
    // Which instance sends what varies from run to run (both book at most two seconds ahead).
    await expectPaced(first, simulator);
  }, 120_000);
});
