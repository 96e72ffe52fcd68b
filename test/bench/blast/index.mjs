// pnpm bench blast [--patients 50000] [--noise 20000] [--rate 50] [--window 20] [--carrier separate|in-process]
//
// Issue 13's blast enqueue on PostgreSQL: an org of `--patients` patients (beside another org of
// `--noise` in the same table), two overlapping cohorts covering all of them, then over HTTP:
// blasts.preview (the skip-reason counts) and blasts.send (one transaction: the recipient
// ledger, conversations, one queued Message per pending patient rendered with tokens).
// value = preview + send (ms); target 5,000 ms. The last line is one JSON object.
// Then the send loop against the simulator with the number set to `--rate` messages a second:
// after a 3 s warm-up, the messages that reached the carrier over `--window` seconds give
// `rateRatio` (achieved / set rate; target >= 0.95), and the server process's resident memory,
// sampled from /proc every 250 ms meanwhile, gives `rssMb` (its peak; target <= 250 MB);
// `enqueueRssMb` is its peak during the preview and the send.
// The carrier: by default the simulator runs in this bench process and the server reaches it over
// HTTP with the Twilio SDK (TWILIO_API_BASE), as it reaches Twilio, so the RSS is the server's own;
// `--carrier in-process` mounts it inside the server as a server without Twilio credentials does.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { cleanup, cleanupOnSignals, freePort, int, machine, onCleanup, processCpuSeconds, round, scratchPostgres, serverDependency, serverModule, signUpAndConfirm, startServerProcess, trpcClient } from '../_lib/server.mjs';

const TARGET_MS = 5000;
const RATE_TARGET = 0.95;
const RSS_TARGET_MB = 250;
const { values: opts } = parseArgs({ options: { patients: { type: 'string', default: '50000' }, noise: { type: 'string', default: '20000' }, rate: { type: 'string', default: '50' }, window: { type: 'string', default: '20' }, carrier: { type: 'string', default: 'separate' } } });
if (!['separate', 'in-process'].includes(opts.carrier)) throw new Error('--carrier: separate or in-process');
const RATE = Number(opts.rate);
const WINDOW_S = Number(opts.window);
const PATIENTS = Number(opts.patients);
const NOISE = Number(opts.noise);
const hex = (n) => randomBytes(n).toString('hex');

/** Patients with every skip reason in realistic shares, generated inside PostgreSQL. */
function insertPatients(orgId, n, seed, prefix) {
  return `
    SELECT setseed(${seed});
    INSERT INTO "Patient" (id, "orgId", mrn, phone, "phoneLineType", email, "firstName", "lastName", "preferredName", dob, tags,
      "smsTransactionalOptIn", "smsMarketingOptIn", "optedOutAt", "blockedAt", source, "createdAt", "updatedAt")
    SELECT gen_random_uuid()::text, '${orgId}', 'MRN-' || g, CASE WHEN random() < 0.95 THEN '+1${prefix}' || (2000000 + g)::text END,
      CASE WHEN random() < 0.03 THEN 'landline' WHEN random() < 0.5 THEN 'mobile' ELSE 'unknown' END,
      'p' || g || '@example.com', 'First' || (g % 997), 'Last' || (g % 1499), CASE WHEN random() < 0.2 THEN 'Pref' || (g % 97) END,
      to_char(date '1930-01-01' + (random() * 34000)::int, 'YYYY-MM-DD'),
      CASE WHEN g % 3 = 0 THEN ARRAY['flu','vip'] WHEN g % 3 = 1 THEN ARRAY['flu'] ELSE ARRAY['vip'] END,
      random() < 0.8, random() < 0.4, CASE WHEN random() < 0.03 THEN now() END, CASE WHEN random() < 0.005 THEN now() END,
      'import', now(), now()
    FROM generate_series(1, ${n}) g;`;
}

let summary = { bench: 'blast', value: null, unit: 'ms (blasts.preview + blasts.send, PostgreSQL)', target: TARGET_MS, ok: false };
async function main() {
  cleanupOnSignals();
  summary.machine = machine();
  console.log(`machine: ${summary.machine.cores} CPUs, load average ${summary.machine.loadAverage.join(' ')}`);
  const { default: pg } = await serverDependency('pg');
  const db = await scratchPostgres('ct_bench_blast_');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const server = await startServerProcess({ DATABASE_URL: db.url, PUBLIC_URL: url, PORT: String(port), ...(opts.carrier === 'separate' ? await separateCarrier() : {}) }, { label: 'server' });
  const rssMb = () => {
    try {
      return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'))?.[1]) / 1024;
    } catch {
      return null;
    }
  };
  console.log(`server RSS after start: ${round(rssMb(), 1)} MB (carrier: ${opts.carrier})`);
  const token = await signUpAndConfirm(url, { name: 'Bench Owner', email: `bench-${hex(4)}@clinic.example`, password: 'correct horse battery staple' });
  const api = trpcClient(url, token);
  await api.mutate('orgs.create', { name: 'Bench Clinic', timeZone: 'America/Chicago' });
  await api.mutate('plan.checkout', { plan: 'sms' });
  const team = await api.mutate('teams.create', { name: 'Outreach' });
  const me = await api.query('auth.me');
  await api.mutate('teams.addMember', { teamId: team.id, userId: me.user.id });
  const [available] = await api.query('numbers.search', { areaCode: '415' });
  await api.mutate('numbers.buy', { phoneNumber: available.phoneNumber, teamId: team.id });

  const client = new pg.Client({ connectionString: db.url });
  client.on('error', () => {});
  await client.connect();
  const [{ orgId }] = (await client.query(`SELECT id AS "orgId" FROM "Org" WHERE name = 'Bench Clinic'`)).rows;
  // Quiet hours off, so the figure does not depend on the time of day the bench runs.
  await client.query(`UPDATE "Org" SET "quietHoursEnabled" = false WHERE id = $1`, [orgId]);
  await client.query(`UPDATE "PhoneNumber" SET "messagesPerSecond" = $2 WHERE "orgId" = $1`, [orgId, RATE]);
  const [{ id: noiseOrgId }] = (await client.query(`INSERT INTO "Org" (id, name, "joinCode", "updatedAt") VALUES (gen_random_uuid()::text, 'Noise Clinic', 'NOISE${hex(3)}', now()) RETURNING id`)).rows;
  let t = performance.now();
  await client.query(insertPatients(orgId, PATIENTS, 0.42, '415'));
  if (NOISE) await client.query(insertPatients(noiseOrgId, NOISE, 0.24, '628'));
  await client.query('VACUUM ANALYZE "Patient"');
  console.log(`seeded ${int(PATIENTS)} patients (+ ${int(NOISE)} in another org) in ${round((performance.now() - t) / 1000, 1)} s`);

  const flu = await api.mutate('cohorts.create', { name: 'Flu', filter: { tags: ['flu'] } });
  const vip = await api.mutate('cohorts.create', { name: 'VIP', filter: { tags: ['vip'] } });
  const audience = { teamId: team.id, cohortIds: [flu.id, vip.id], marketing: false };

  console.log(`server RSS before the preview: ${round(rssMb(), 1)} MB`);
  // CPU seconds of the server and of its database's backends: on a busy machine the wall time
  // grows with the load, these much less.
  const dbCpu = async () => {
    const pids = (await client.query(`SELECT pid FROM pg_stat_activity WHERE datname = $1`, [db.name])).rows.map((r) => r.pid);
    return pids.reduce((sum, pid) => sum + (processCpuSeconds(pid) ?? 0), 0);
  };
  const cpu0 = { server: server.cpuSeconds(), db: await dbCpu() };
  let enqueueRss = 0;
  const enqueueSampler = setInterval(() => (enqueueRss = Math.max(enqueueRss, rssMb() ?? 0)), 100);
  t = performance.now();
  const preview = await api.query('blasts.preview', audience);
  const previewMs = performance.now() - t;
  console.log(`preview: ${int(preview.total)} patients, ${int(preview.willSend)} will send, in ${round(previewMs, 1)} ms`, preview);

  t = performance.now();
  const { blast } = await api.mutate('blasts.send', { ...audience, body: 'Hi {{preferred_name}}, flu shots are in at {{org_name}}. Reply to book.', idempotencyKey: `bench-${hex(8)}` });
  const sendMs = performance.now() - t;
  clearInterval(enqueueSampler);
  enqueueRss = Math.max(enqueueRss, rssMb() ?? 0);
  const cpu = { serverCpuS: round(server.cpuSeconds() - cpu0.server, 2), dbCpuS: round((await dbCpu()) - cpu0.db, 2) };
  console.log(`preview + send CPU: server ${cpu.serverCpuS} s, database backends ${cpu.dbCpuS} s (load average ${machine().loadAverage.join(' ')})`);
  const [{ recipients, messages }] = (
    await client.query(`SELECT count(*)::int AS recipients, count("messageId")::int AS messages FROM "BlastRecipient" WHERE "blastId" = $1`, [blast.id])
  ).rows;
  console.log(`send: ${int(recipients)} recipients, ${int(messages)} queued messages, in ${round(sendMs, 1)} ms; server RSS peak during preview + send ${round(enqueueRss, 1)} MB`);
  // The send loop: what reached the carrier (accepted: a carrier id; refused: its error code) over the window, after a warm-up.
  // (Valid NANP numbers: +1 415 2xx xxxx; a few end in the simulator's special suffixes and fail, as real ones do.)
  const atCarrier = async () => (await client.query(`SELECT count(*)::int AS n FROM "Message" WHERE "orgId" = $1 AND ("carrierSid" IS NOT NULL OR "errorCode" IS NOT NULL)`, [orgId])).rows[0].n;
  await new Promise((r) => setTimeout(r, 3000));
  const c0 = await atCarrier();
  const w0 = performance.now();
  let rssPeak = 0;
  while (performance.now() - w0 < WINDOW_S * 1000) {
    rssPeak = Math.max(rssPeak, rssMb() ?? 0);
    await new Promise((r) => setTimeout(r, 250));
  }
  const c1 = await atCarrier();
  const windowS = (performance.now() - w0) / 1000;
  const achieved = (c1 - c0) / windowS;
  const rateRatio = round(achieved / RATE, 3);
  console.log(`send loop: ${int(c1 - c0)} messages reached the carrier in ${round(windowS, 1)} s = ${round(achieved, 1)}/s at a set rate of ${RATE}/s (rateRatio ${rateRatio}); server RSS peak ${round(rssPeak, 1)} MB`);
  if (c1 - c0 >= messages - c0) console.log('warning: the queue ran out during the window; use more --patients or a lower --rate');
  // Cancel the rest of the queue so the server stops promptly.
  await client.query(`UPDATE "Message" SET status = 'canceled' WHERE status = 'queued' AND "orgId" = $1`, [orgId]);
  await client.end();
  if (recipients !== preview.total || messages !== preview.willSend) throw new Error(`the send wrote ${recipients}/${messages}, the preview said ${preview.total}/${preview.willSend}`);
  const value = round(previewMs + sendMs, 1);
  summary = {
    ...summary, value, ratio: round(value / TARGET_MS, 3), ok: value <= TARGET_MS && rateRatio >= RATE_TARGET && rssPeak <= RSS_TARGET_MB,
    rateRatio, rateTarget: RATE_TARGET, setRate: RATE, achievedRate: round(achieved, 2), windowSeconds: round(windowS, 1), rssMb: round(rssPeak, 1), enqueueRssMb: round(enqueueRss, 1), carrier: opts.carrier, rssTargetMb: RSS_TARGET_MB, patients: PATIENTS, otherOrgPatients: NOISE, previewMs: round(previewMs, 1), sendMs: round(sendMs, 1), ...cpu, loadAverageAfter: machine().loadAverage, preview, queued: messages };
}

/**
 * The Twilio simulator in this process (callbacks on, as Twilio sends them), reached by the
 * server over HTTP: the server's environment for it.
 */
async function separateCarrier() {
  const { default: express } = await serverDependency('express');
  const { createSimulatorCredentials, createTwilioSimulator } = await serverModule('carriers/simulator/twilio-simulator.js');
  const credentials = createSimulatorCredentials();
  const simulator = createTwilioSimulator({ ...credentials, log: () => {} });
  const app = express();
  app.use('/twilio', simulator.router);
  const carrier = app.listen(0, '127.0.0.1');
  await once(carrier, 'listening');
  onCleanup(() => (simulator.stop(), new Promise((resolve) => carrier.close(resolve))));
  return { TWILIO_ACCOUNT_SID: credentials.accountSid, TWILIO_AUTH_TOKEN: credentials.authToken, TWILIO_API_BASE: `http://127.0.0.1:${carrier.address().port}/twilio` };
}

try {
  await main();
} catch (error) {
  summary.errors = [String(error?.stack ?? error)];
  console.error(`bench blast: ${error?.message ?? error}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
console.log(JSON.stringify(summary));
