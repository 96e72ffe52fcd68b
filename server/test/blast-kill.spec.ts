import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTRPCClient, httpBatchLink } from '@trpc/client';
import express from 'express';
import superjson from 'superjson';
import { afterAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../src/auth/password.js';
import { createSimulatorCredentials, createTwilioSimulator } from '../src/carriers/simulator/twilio-simulator.js';
import { type Database, openDatabase } from '../src/db/database.js';
import type { AppRouter } from '../src/trpc/app-router.js';
import { bootServerProcess, freePort, openTestDatabase, SERVER_MAIN, TEST_DATABASE_URL, TEST_DB, waitFor } from './harness.js';

const RECIPIENTS = 2000;
/** Patients of the cohort who are skipped (opted out, landline, blocked, no phone): never at the carrier. */
const SKIPPED = { opted_out: 7, landline: 5, blocked: 3, no_phone: 4 };
const PASSWORD = 'correct horse battery';
const EMAIL = 'blaster@kill.example';

const client = (url: string, token?: string) =>
  createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: `${url}/trpc`, transformer: superjson, headers: () => (token ? { authorization: `Bearer ${token}` } : {}) })] });

/**
 * The blast promise under the worst case: the server process is killed with SIGKILL while a
 * 2,000-recipient blast is half sent (some messages at the carrier, some claimed and maybe in
 * flight, most still queued), then started again on the same database. The carrier (the
 * simulator, in this test's process, reached with TWILIO_API_BASE) outlives the kill, so it
 * counts what really went out: every recipient exactly once, and the blast ends completed with
 * exact stat counts. On PostgreSQL and on PGlite (the second life opens the first one's data dir).
 */
// In the default run on PostgreSQL (BLAST_KILL=0 skips it); on PGlite on demand (BLAST_KILL_PGLITE=1:
// 85 s on a quiet 2-core machine, where the PostgreSQL run takes 17 s). It used to be on demand
// only: at CI's load every wake was late, and each late message went back to the queue. Late
// messages now go late, in line, unless another instance booked the slots after them
// (send-worker.ts, LATE_LIMIT_MS); at load average 20 it passed in 260 s.
describe.runIf(existsSync(SERVER_MAIN) && ((TEST_DB === 'postgres' && process.env.BLAST_KILL !== '0') || process.env.BLAST_KILL_PGLITE === '1'))('a blast interrupted by SIGKILL', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  });

  it(`sends each of ${RECIPIENTS} recipients exactly once across a kill -9 and a restart, and completes with exact counts (${TEST_DB})`, async () => {
    // The carrier. Messages stay "queued" there until deliver(): the callbacks come once the
    // second life is up, so a callback lost with the first life cannot stand in for a send.
    const credentials = createSimulatorCredentials();
    const simulator = createTwilioSimulator({ ...credentials, deliver: 'manual', log: () => {} });
    const app = express();
    app.use('/twilio', simulator.router);
    const carrierServer = app.listen(0, '127.0.0.1');
    // Idle sockets kept a minute (as a real API does): with Node's 5 s default, a busy machine's
    // SDK reused sockets the server was closing, and each such send waited for reconciliation.
    carrierServer.keepAliveTimeout = 60_000;
    await once(carrierServer, 'listening');
    cleanups.push(async () => {
      simulator.stop();
      carrierServer.close();
    });
    const e164 = '+14155557001';
    simulator.registerNumber({ phoneNumber: e164, sid: `PN${'7'.repeat(32)}` });

    // The database: seeded here, then owned by the server process (PGlite: one process per data dir).
    let db: Database;
    let dbEnv: Record<string, string>;
    if (TEST_DB === 'postgres') {
      const scratch = await openTestDatabase();
      db = scratch.db;
      dbEnv = { DATABASE_URL: scratch.url! };
      cleanups.push(async () => {
        const pg = (await import('pg')).default;
        const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
        await admin.connect();
        await admin.query(`DROP DATABASE IF EXISTS ${new URL(scratch.url!).pathname.slice(1)} WITH (FORCE)`);
        await admin.end();
      });
    } else {
      const dir = mkdtempSync(path.join(tmpdir(), 'ct-blast-kill-'));
      cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
      db = await openDatabase({ kind: 'pglite', dir });
      dbEnv = { DATA_DIR: dir };
    }

    const user = await db.prisma.user.create({ data: { name: 'Blast Sender', email: EMAIL, passwordHash: await hashPassword(PASSWORD) } });
    // Quiet hours off: the server runs on the real clock, and this test is not about them.
    const org = await db.prisma.org.create({ data: { name: 'Kill Clinic', joinCode: 'KILL-1', plan: 'sms', smsEnabled: true, quietHoursEnabled: false } });
    await db.prisma.membership.create({ data: { orgId: org.id, userId: user.id, role: 'owner' } });
    const team = await db.prisma.team.create({ data: { orgId: org.id, name: 'Front Desk' } });
    await db.prisma.teamMember.create({ data: { teamId: team.id, userId: user.id } });
    // 250 a second: the blast takes about 8 s, long enough to kill it mid-way.
    const number = await db.prisma.phoneNumber.create({ data: { orgId: org.id, teamId: team.id, e164, carrierSid: `PN${'7'.repeat(32)}`, messagesPerSecond: 250 } });
    // Last four digits 1000 and up: none of the simulator's special outcomes (destinations.ts).
    const phoneOf = (i: number) => `+1415${String(3_001_000 + i)}`;
    const base = { orgId: org.id, tags: ['flu'], phoneLineType: 'mobile' };
    await db.prisma.patient.createMany({ data: Array.from({ length: RECIPIENTS }, (_, i) => ({ ...base, firstName: `F${i}`, lastName: `L${i}`, phone: phoneOf(i) })) });
    let extra = RECIPIENTS;
    const skipped = (n: number, data: object) => Array.from({ length: n }, () => ({ ...base, firstName: `S${extra}`, phone: phoneOf(extra++), ...data }));
    const optedOut = skipped(SKIPPED.opted_out, {});
    await db.prisma.patient.createMany({
      data: [...optedOut, ...skipped(SKIPPED.landline, { phoneLineType: 'landline' }), ...skipped(SKIPPED.blocked, { blockedAt: new Date() }), ...skipped(SKIPPED.no_phone, { phone: null })],
    });
    await db.prisma.smsOptOut.createMany({ data: optedOut.map((p) => ({ orgId: org.id, phoneNumberId: number.id, phone: p.phone!, keyword: 'STOP' })) });
    await db.prisma.patient.create({ data: { orgId: org.id, firstName: 'Not', lastName: 'InCohort', phone: phoneOf(9999), phoneLineType: 'mobile' } });
    const cohort = await db.prisma.cohort.create({ data: { orgId: org.id, name: 'Flu', filter: { tags: ['flu'] } } });
    await db.close();

    // One address for both lives: PUBLIC_URL (the callbacks' target, signed over) must not change.
    const port = await freePort();
    const env = {
      ...dbEnv,
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      TWILIO_ACCOUNT_SID: credentials.accountSid,
      TWILIO_AUTH_TOKEN: credentials.authToken,
      TWILIO_API_BASE: `http://127.0.0.1:${(carrierServer.address() as AddressInfo).port}/twilio`,
      SEND_CLAIM_TTL_SECONDS: '2',
      SEED_DEMO: '0',
      LOG_LEVEL: 'warn',
    };
    const atCarrier = () => simulator.messages().filter((m) => m.direction === 'outbound-api');

    // First life: start the blast, kill it once part of it has reached the carrier.
    const first = bootServerProcess(env);
    cleanups.push(async () => void first.child.kill('SIGKILL'));
    const url1 = await first.url;
    const { token } = await client(url1).auth.signIn.mutate({ email: EMAIL, password: PASSWORD, client: 'extension' });
    const api1 = client(url1, token!);
    expect(await api1.blasts.preview.query({ teamId: team.id, cohortIds: [cohort.id], marketing: false })).toMatchObject({ willSend: RECIPIENTS, total: RECIPIENTS + 19 });
    const { blast } = await api1.blasts.send.mutate({ teamId: team.id, cohortIds: [cohort.id], body: 'Hi {{first_name}}, flu shots are in.', marketing: false, idempotencyKey: 'kill-blast-0001' });
    await waitFor(async () => (atCarrier().length >= 300 ? true : null), 8000);
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    const atKill = atCarrier().length;
    expect(atKill).toBeGreaterThanOrEqual(300);
    expect(atKill).toBeLessThan(RECIPIENTS); // mid-way: most of it was still to go

    // Second life: same database and address. A double click on the old page resubmits the blast.
    const second = bootServerProcess(env);
    cleanups.push(async () => {
      second.child.kill('SIGTERM');
      await second.exited;
    });
    const url2 = await second.url;
    const api2 = client(url2, token!);
    expect(await api2.blasts.send.mutate({ teamId: team.id, cohortIds: [cohort.id], body: 'Hi {{first_name}}, flu shots are in.', marketing: false, idempotencyKey: 'kill-blast-0001' })).toMatchObject({
      duplicate: true,
      blast: { id: blast.id },
    });
    // Everything reaches the carrier (the first life's unfinished claims once they expire)...
    await waitFor(async () => (atCarrier().length >= RECIPIENTS ? true : null), 8000).catch((error: Error) => {
      throw new Error(`${atCarrier().length} of ${RECIPIENTS} at the carrier; the server said:\n${second.output()}`, { cause: error });
    });
    // ...then the carrier reports delivery, and the blast completes.
    await simulator.deliver();
    const done = await waitFor(async () => {
      const b = await api2.blasts.get.query({ blastId: blast.id });
      return b.status === 'completed' ? b : null;
    }, 4000);

    const sent = atCarrier();
    const perPhone = new Map<string, number>();
    for (const m of sent) perPhone.set(m.to, (perPhone.get(m.to) ?? 0) + 1);
    expect([...perPhone.values()].filter((n) => n > 1)).toEqual([]); // nobody twice
    expect(sent).toHaveLength(RECIPIENTS); // nobody lost
    expect(new Set(sent.map((m) => m.to))).toEqual(new Set(Array.from({ length: RECIPIENTS }, (_, i) => phoneOf(i)))); // exactly the cohort's sendable patients
    expect(sent.find((m) => m.to === phoneOf(17))?.body).toBe('Hi F17, flu shots are in.');
    expect(done.stats).toMatchObject({ total: RECIPIENTS + 19, sent: RECIPIENTS, skipped: 19, optedOut: SKIPPED.opted_out, blocked: SKIPPED.blocked, replied: 0, failed: 0, queued: 0, canceled: 0 });
    expect(done.completedAt).not.toBeNull();
  }, 600_000);
});
