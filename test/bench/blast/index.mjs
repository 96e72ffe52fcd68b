// pnpm bench blast [--patients 50000] [--noise 20000]
//
// Issue 13's blast enqueue on PostgreSQL: an org of `--patients` patients (beside another org of
// `--noise` in the same table), two overlapping cohorts covering all of them, then over HTTP:
// blasts.preview (the skip-reason counts) and blasts.send (one transaction: the recipient
// ledger, conversations, one queued Message per pending patient rendered with tokens).
// value = preview + send (ms); target 5,000 ms. The last line is one JSON object.
// Not measured here yet: the send loop's achieved rate and RSS while sending (issue 13 asks for both).
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { cleanup, cleanupOnSignals, freePort, int, machine, round, scratchPostgres, serverDependency, signUpAndConfirm, startServerProcess, trpcClient } from '../_lib/server.mjs';

const TARGET_MS = 5000;
const { values: opts } = parseArgs({ options: { patients: { type: 'string', default: '50000' }, noise: { type: 'string', default: '20000' } } });
const PATIENTS = Number(opts.patients);
const NOISE = Number(opts.noise);
const hex = (n) => randomBytes(n).toString('hex');

/** Patients with every skip reason in realistic shares, generated inside PostgreSQL. */
function insertPatients(orgId, n, seed, prefix) {
  return `
    SELECT setseed(${seed});
    INSERT INTO "Patient" (id, "orgId", mrn, phone, "phoneLineType", email, "firstName", "lastName", "preferredName", dob, tags,
      "smsTransactionalOptIn", "smsMarketingOptIn", "optedOutAt", "blockedAt", source, "createdAt", "updatedAt")
    SELECT gen_random_uuid()::text, '${orgId}', 'MRN-' || g, CASE WHEN random() < 0.95 THEN '+1${prefix}' || lpad(g::text, 7, '0') END,
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
  await startServerProcess({ DATABASE_URL: db.url, PUBLIC_URL: url, PORT: String(port) }, { label: 'server' });
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
  const [{ id: noiseOrgId }] = (await client.query(`INSERT INTO "Org" (id, name, "joinCode", "updatedAt") VALUES (gen_random_uuid()::text, 'Noise Clinic', 'NOISE${hex(3)}', now()) RETURNING id`)).rows;
  let t = performance.now();
  await client.query(insertPatients(orgId, PATIENTS, 0.42, '415'));
  if (NOISE) await client.query(insertPatients(noiseOrgId, NOISE, 0.24, '628'));
  await client.query('VACUUM ANALYZE "Patient"');
  console.log(`seeded ${int(PATIENTS)} patients (+ ${int(NOISE)} in another org) in ${round((performance.now() - t) / 1000, 1)} s`);

  const flu = await api.mutate('cohorts.create', { name: 'Flu', filter: { tags: ['flu'] } });
  const vip = await api.mutate('cohorts.create', { name: 'VIP', filter: { tags: ['vip'] } });
  const audience = { teamId: team.id, cohortIds: [flu.id, vip.id], marketing: false };

  t = performance.now();
  const preview = await api.query('blasts.preview', audience);
  const previewMs = performance.now() - t;
  console.log(`preview: ${int(preview.total)} patients, ${int(preview.willSend)} will send, in ${round(previewMs, 1)} ms`, preview);

  t = performance.now();
  const { blast } = await api.mutate('blasts.send', { ...audience, body: 'Hi {{preferred_name}}, flu shots are in at {{org_name}}. Reply to book.', idempotencyKey: `bench-${hex(8)}` });
  const sendMs = performance.now() - t;
  const [{ recipients, messages }] = (
    await client.query(`SELECT count(*)::int AS recipients, count("messageId")::int AS messages FROM "BlastRecipient" WHERE "blastId" = $1`, [blast.id])
  ).rows;
  console.log(`send: ${int(recipients)} recipients, ${int(messages)} queued messages, in ${round(sendMs, 1)} ms`);
  // The send loop is not measured here: cancel the queue so the server stops promptly.
  await client.query(`UPDATE "Message" SET status = 'canceled' WHERE status = 'queued' AND "orgId" = $1`, [orgId]);
  await client.end();
  if (recipients !== preview.total || messages !== preview.willSend) throw new Error(`the send wrote ${recipients}/${messages}, the preview said ${preview.total}/${preview.willSend}`);
  const value = round(previewMs + sendMs, 1);
  summary = { ...summary, value, ratio: round(value / TARGET_MS, 3), ok: value <= TARGET_MS, patients: PATIENTS, otherOrgPatients: NOISE, previewMs: round(previewMs, 1), sendMs: round(sendMs, 1), preview, queued: messages };
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
