import { existsSync } from 'node:fs';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, describe, expect, it } from 'vitest';
import { createSimulatorCredentials, createTwilioSimulator } from '../src/carriers/simulator/twilio-simulator.js';
import { bootServerProcess, openTestDatabase, SERVER_MAIN, TEST_DB, waitFor } from './harness.js';

const COUNT = 500;

/**
 * Two server processes on one PostgreSQL database, both sending through one shared carrier
 * (the simulator, reached with TWILIO_API_BASE). The instance holding send claims is killed
 * with SIGKILL mid-way; the other takes over once the claims expire, and every message reaches
 * the carrier exactly once.
 */
describe.runIf(TEST_DB === 'postgres' && existsSync(SERVER_MAIN))('send claims across instances', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  });

  it(`SIGKILL of the instance holding send claims mid-way through ${COUNT} messages: each reaches the carrier exactly once`, async () => {
    const scratch = await openTestDatabase();
    cleanups.push(() => scratch.drop());
    const { db } = scratch;

    // The shared carrier. Messages stay "queued" there (no callbacks): only what was sent counts.
    const credentials = createSimulatorCredentials();
    const simulator = createTwilioSimulator({ ...credentials, deliver: 'manual', log: () => {} });
    const app = express();
    app.use('/twilio', simulator.router);
    const carrierServer = app.listen(0, '127.0.0.1');
    await once(carrierServer, 'listening');
    cleanups.push(async () => {
      simulator.stop();
      carrierServer.close();
    });
    const apiBase = `http://127.0.0.1:${(carrierServer.address() as AddressInfo).port}/twilio`;

    // One clinic, one number (fast enough that a batch takes a moment), one patient.
    const e164 = '+14155552001';
    const patientPhone = '+14155553001';
    simulator.registerNumber({ phoneNumber: e164, sid: `PN${'1'.repeat(32)}` });
    const org = await db.prisma.org.create({ data: { name: 'Scale Clinic', joinCode: 'SCALE-1', plan: 'sms', smsEnabled: true } });
    const team = await db.prisma.team.create({ data: { orgId: org.id, name: 'Front Desk' } });
    const number = await db.prisma.phoneNumber.create({ data: { orgId: org.id, teamId: team.id, e164, carrierSid: `PN${'1'.repeat(32)}`, messagesPerSecond: 100 } });
    const patient = await db.prisma.patient.create({ data: { orgId: org.id, firstName: 'Amina', phone: patientPhone, phoneLineType: 'mobile' } });
    const conversation = await db.prisma.conversation.create({ data: { orgId: org.id, teamId: team.id, kind: 'sms', phoneNumberId: number.id, patientId: patient.id } });

    const env = {
      DATABASE_URL: scratch.url!,
      PUBLIC_URL: 'http://127.0.0.1:9', // one public URL for both; no callbacks in this test
      TWILIO_ACCOUNT_SID: credentials.accountSid,
      TWILIO_AUTH_TOKEN: credentials.authToken,
      TWILIO_API_BASE: apiBase,
      SEND_CLAIM_TTL_SECONDS: '2',
      SEED_DEMO: '0',
      LOG_LEVEL: 'warn',
    };
    const a = bootServerProcess(env);
    const b = bootServerProcess(env);
    for (const instance of [a, b]) {
      cleanups.push(async () => {
        instance.child.kill('SIGKILL');
        await instance.exited;
      });
    }
    await Promise.all([a.url, b.url]);

    const start = Date.now();
    await db.prisma.message.createMany({
      data: Array.from({ length: COUNT }, (_, i) => ({
        orgId: org.id, conversationId: conversation.id, direction: 'outbound', channel: 'sms', body: `Reminder ${i}`,
        status: 'queued', fromNumber: e164, toNumber: patientPhone, createdAt: new Date(start + i),
      })),
    });

    // Kill A mid-batch: it has sent some messages and holds claims on others it has not sent yet
    // (one of them possibly at the carrier already, its answer not stored).
    const claimedByA = `%:${a.child.pid}:%`;
    await waitFor(async () => {
      const rows = await db.sql.query<{ id: string; carrierSid: string | null }>(`SELECT id, "carrierSid" FROM "Message" WHERE status = 'sending' AND "claimedBy" LIKE $1`, [claimedByA]);
      const unsent = rows.filter((r) => r.carrierSid === null);
      return rows.length - unsent.length >= 10 && unsent.length ? unsent : null;
    }, 4000);
    a.child.kill('SIGKILL');
    expect(await a.exited).toBe('SIGKILL');
    // What A held unsent when it died (it may have sent a few more between that look and
    // the kill): these are for B to finish once the claims expire.
    const orphans = await db.sql.query<{ id: string }>(`SELECT id FROM "Message" WHERE status = 'sending' AND "carrierSid" IS NULL AND "claimedBy" LIKE $1`, [claimedByA]);
    expect(orphans.length).toBeGreaterThan(0);

    // B finishes everything, A's expired claims included.
    await waitFor(async () => {
      const [left] = await db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM "Message" WHERE "carrierSid" IS NULL`);
      return left!.n === 0 ? true : null;
    }, 2400);

    const sent = simulator.messages().filter((m) => m.direction === 'outbound-api');
    const bodies = sent.map((m) => m.body);
    expect(new Set(bodies).size).toBe(bodies.length); // nothing twice
    expect(bodies.length).toBe(COUNT); // nothing lost
    const rows = await db.prisma.message.findMany({ select: { id: true, body: true, carrierSid: true, status: true, claimedBy: true } });
    const sidOf = new Map(sent.map((m) => [m.body, m.sid]));
    for (const row of rows) expect(row.carrierSid).toBe(sidOf.get(row.body));
    expect(rows.every((r) => r.status === 'sending')).toBe(true);
    // A's unsent claims at its death were finished by B, each of them.
    const orphanIds = new Set(orphans.map((o) => o.id));
    const byA = (r: { claimedBy: string | null }) => r.claimedBy!.includes(`:${a.child.pid}:`);
    expect(rows.filter((r) => orphanIds.has(r.id) && !byA(r)).length).toBe(orphans.length);
    expect(b.child.exitCode).toBeNull();
  }, 120_000);
});
