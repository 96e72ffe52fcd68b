import { existsSync } from 'node:fs';
import { createTRPCClient, httpLink } from '@trpc/client';
import pg from 'pg';
import superjson from 'superjson';
import twilio from 'twilio';
import { afterAll, describe, expect, it } from 'vitest';
import { createSimulatorCredentials } from '../src/carriers/simulator/twilio-simulator.js';
import { DeferredWork, timerScheduler, WebhookSender } from '../src/carriers/simulator/webhooks.js';
import { WEBHOOK_PATHS } from '../src/numbers/numbers.service.js';
import type { AppRouter } from '../src/trpc/app-router.js';
import { DEMO_USERS } from '../src/seed/demo.js';
import { bootServerProcess, freePort, openTestDatabase, SERVER_MAIN, TEST_DATABASE_URL, TEST_DB, waitFor } from './harness.js';


const client = (url: string, token?: string) =>
  createTRPCClient<AppRouter>({ links: [httpLink({ url: `${url}/trpc`, transformer: superjson, headers: () => (token ? { authorization: `Bearer ${token}` } : {}) })] });

/** Every row a new patient, except the second half repeating some of the first (rejected duplicates). */
function patientsCsv(rows: number): string {
  const lines = ['phone,mrn,first_name,last_name'];
  for (let i = 0; i < rows; i++) {
    const n = i >= rows / 2 && i % 97 === 0 ? i - rows / 2 : i;
    lines.push(`+1415${String(5_200_000 + n)},P-${n},F${n},L${n}`);
  }
  return lines.join('\n');
}

/**
 * Closes (or reopens) a database the way a restart does: new connections refused, every open one
 * cut. A connection that was being opened at that moment is not listed yet, so backends are
 * terminated until none is left twice in a row; otherwise a callback could still find one that works.
 */
async function setOutage(admin: pg.Client, name: string, on: boolean) {
  await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS ${on ? 'false' : 'true'}`);
  if (!on) return;
  await waitFor(async () => {
    const { rows } = await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);
    if (rows.length) return null;
    await new Promise((resolve) => setTimeout(resolve, 50));
    return (await admin.query('SELECT 1 FROM pg_stat_activity WHERE datname = $1', [name])).rows.length ? null : true;
  });
}

/** PostgreSQL restarts and failovers, as the server sees them: its connections cut, new ones refused a while. */
describe.runIf(TEST_DB === 'postgres' && existsSync(SERVER_MAIN))('PostgreSQL going away under a running server', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('keeps the process up, answers 503 with Retry-After meanwhile, and the import ends with the counts of an uninterrupted run', async () => {
    const scratch = await openTestDatabase();
    await scratch.db.close(); // the child process owns the database; keep only the URL
    const name = new URL(scratch.url!).pathname.slice(1);
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    const outage = (on: boolean) => setOutage(admin, name, on);
    cleanups.push(async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    });

    const server = bootServerProcess({ DATABASE_URL: scratch.url!, SEED_DEMO: '1' });
    cleanups.push(async () => {
      server.child.kill('SIGTERM');
      await server.exited;
    });
    const url = await server.url;
    const { token } = await client(url).auth.signIn.mutate({ email: DEMO_USERS.admin.email, password: DEMO_USERS.admin.password, client: 'extension' });
    const api = client(url, token!);
    await api.orgs.create.mutate({ name: 'Failover Clinic' });
    const rows = 20_000;
    const upload = await fetch(`${url}/api/imports/patients?name=failover.csv`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: patientsCsv(rows) });
    const { jobId } = (await upload.json()) as { jobId: string };
    const ready = await waitFor(async () => {
      const job = await api.imports.get.query({ jobId });
      return job.status === 'ready' ? job : null;
    }, 2000);
    const dryRun = ready.report!.dryRun;
    expect(dryRun.rejected).toBeGreaterThan(0);
    await api.imports.confirm.mutate({ jobId });

    // Mid-import: every backend of the server terminated (its pool, Prisma's and the batch's
    // transaction), and new connections refused until the "restart" is over.
    await waitFor(async () => ((await api.imports.get.query({ jobId })).processedRows >= 3000 ? true : null), 4000);
    await outage(true);
    try {
      const during = await fetch(`${url}/trpc/imports.get?input=${encodeURIComponent(JSON.stringify({ json: { jobId } }))}`, { headers: { authorization: `Bearer ${token}` } });
      expect(during.status).toBe(503);
      expect(during.headers.get('retry-after')).toBe('5');
      const body = (await during.json()) as { error: { json: { message: string; data: { code: string } } } };
      expect(body.error.json.data.code).toBe('SERVICE_UNAVAILABLE');
      expect(body.error.json.message).toContain('database is unavailable');
      const report = await fetch(`${url}/api/imports/${jobId}/report.csv`, { headers: { authorization: `Bearer ${token}` } });
      expect([report.status, report.headers.get('retry-after')]).toEqual([503, '5']);
      const health = await fetch(`${url}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ ok: true, state: 'ready', database: { ok: false } });
      expect((await fetch(`${url}/health/ready`)).status).toBe(503);
      const job = await scratchJob(name, jobId).catch(() => null);
      expect(job).toBeNull(); // (the database really refuses connections)
    } finally {
      await outage(false);
    }

    const done = await waitFor(async () => {
      const job = await api.imports.get.query({ jobId }).catch(() => null);
      return job && ['completed', 'failed', 'cancelled'].includes(job.status) ? job : null;
    }, 4000);
    expect(server.alive()).toBe(true);
    expect(done).toMatchObject({ status: 'completed', processedRows: rows, applied: { created: dryRun.created, updated: dryRun.updated, unchanged: dryRun.unchanged, rejected: dryRun.rejected } });
    expect((await api.patients.list.query({ pageSize: 1 })).total).toBe(dryRun.created);
    expect(server.output()).toContain('it resumes when the database is back');
    expect((await fetch(`${url}/health/ready`)).status).toBe(200);
  }, 180_000);

  it('answers Twilio callbacks 503 with Retry-After while the database is away, and a retry afterwards stores them', async () => {
    const scratch = await openTestDatabase();
    const name = new URL(scratch.url!).pathname.slice(1);
    // A number, a patient, and a message at the carrier awaiting its delivery callback.
    const { db } = scratch;
    const e164 = '+14155552301';
    const patientPhone = '+14155553301';
    const org = await db.prisma.org.create({ data: { name: 'Outage Clinic', joinCode: 'OUTAGE-1', plan: 'sms', smsEnabled: true } });
    const team = await db.prisma.team.create({ data: { orgId: org.id, name: 'Front Desk' } });
    const number = await db.prisma.phoneNumber.create({ data: { orgId: org.id, teamId: team.id, e164, carrierSid: `PN${'4'.repeat(32)}` } });
    const patient = await db.prisma.patient.create({ data: { orgId: org.id, firstName: 'Amina', phone: patientPhone, phoneLineType: 'mobile' } });
    const conversation = await db.prisma.conversation.create({ data: { orgId: org.id, teamId: team.id, kind: 'sms', phoneNumberId: number.id, patientId: patient.id } });
    const outboundSid = `SM${'5'.repeat(32)}`;
    await db.prisma.message.create({
      data: { orgId: org.id, conversationId: conversation.id, direction: 'outbound', channel: 'sms', body: 'See you tomorrow', status: 'sent', statusRank: 2, fromNumber: e164, toNumber: patientPhone, carrierSid: outboundSid },
    });
    await scratch.db.close(); // the child process owns the database from here
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    const outage = (on: boolean) => setOutage(admin, name, on);
    cleanups.push(async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    });

    const credentials = createSimulatorCredentials();
    // Twilio calls PUBLIC_URL; here that is the instance itself.
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    const server = bootServerProcess({
      PORT: String(port), DATABASE_URL: scratch.url!, PUBLIC_URL: publicUrl, SEED_DEMO: '0', LOG_LEVEL: 'warn',
      TWILIO_ACCOUNT_SID: credentials.accountSid, TWILIO_AUTH_TOKEN: credentials.authToken, TWILIO_API_BASE: 'http://127.0.0.1:9/twilio',
    });
    cleanups.push(async () => {
      server.child.kill('SIGTERM');
      await server.exited;
    });
    expect(await server.url).toBe(publicUrl);
    const signedPost = (path: string, params: Record<string, string>) =>
      fetch(publicUrl + path, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilio.getExpectedTwilioSignature(credentials.authToken, publicUrl + path, params) },
        body: new URLSearchParams(params).toString(),
      });
    const inbound = (sid: string, body: string) => ({ AccountSid: credentials.accountSid, MessageSid: sid, From: patientPhone, To: e164, Body: body, NumMedia: '0' });
    const delivered = { AccountSid: credentials.accountSid, MessageSid: outboundSid, MessageStatus: 'delivered', From: e164, To: patientPhone };
    // Our simulator's webhook sender, retrying 5xx the way the carrier does (a few seconds in all).
    const work = new DeferredWork(timerScheduler, () => {});
    const sender = new WebhookSender(credentials.authToken, work, [250, 500, 1000, 2000, 4000, 8000]);
    let retried: Promise<Awaited<ReturnType<WebhookSender['post']>>> | null = null;

    await outage(true);
    try {
      for (const [path, params] of [[WEBHOOK_PATHS.inbound, inbound(`SM${'6'.repeat(32)}`, 'Answered during the outage')], [WEBHOOK_PATHS.status, delivered]] as const) {
        const during = await signedPost(path, params);
        expect([path, during.status, during.headers.get('retry-after')]).toEqual([path, 503, '5']);
      }
      retried = sender.post('inbound', publicUrl + WEBHOOK_PATHS.inbound, inbound(`SM${'7'.repeat(32)}`, 'Retried by the carrier'));
      await waitFor(async () => (sender.deliveries[0]?.status === 503 ? true : null), 400);
    } finally {
      await outage(false);
    }

    // The carrier's own retry lands once the database is back; so do the two callbacks sent again.
    const delivery = await retried!;
    expect(delivery).toMatchObject({ status: 200 });
    expect(delivery.attempts).toBeGreaterThan(1);
    expect((await signedPost(WEBHOOK_PATHS.inbound, inbound(`SM${'6'.repeat(32)}`, 'Answered during the outage'))).status).toBe(200);
    expect((await signedPost(WEBHOOK_PATHS.status, delivered)).status).toBe(204);
    const rows = await scratchQuery(name, `SELECT body, status FROM "Message" WHERE "conversationId" = $1 ORDER BY body`, [conversation.id]);
    expect(rows).toEqual([
      { body: 'Answered during the outage', status: 'received' },
      { body: 'Retried by the carrier', status: 'received' },
      { body: 'See you tomorrow', status: 'delivered' },
    ]);
    expect(server.output()).toContain('answered 503, the carrier will retry');
    expect(server.alive()).toBe(true);
  }, 120_000);
});

/** Reads the job straight from the scratch database (fails while it refuses connections). */
async function scratchJob(name: string, jobId: string) {
  return (await scratchQuery(name, 'SELECT status FROM "ImportJob" WHERE id = $1', [jobId]))[0];
}

async function scratchQuery(name: string, sql: string, params: unknown[]) {
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  const c = new pg.Client({ connectionString: url.toString() });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows;
  } finally {
    await c.end();
  }
}
