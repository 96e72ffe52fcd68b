// pnpm bench cohorts [--patients 100000] [--noise 50000] [--runs 40]
//
// Issue 13's live count: cohorts.count over HTTP (what the editor calls while a user edits
// filters) on an org of `--patients` patients in PostgreSQL, beside another org of `--noise`
// patients in the same table. For each filter in FILTERS: p50 and p95 of the round trip over
// `--runs` calls (after two warm-up calls), and the database's own execution time of the
// same statement (EXPLAIN ANALYZE of cohortPatients' count) with the indexes the plan used.
// value = the slowest filter's p95 (ms); target 200 ms. The last line is one JSON object.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { cleanup, cleanupOnSignals, freePort, int, machine, round, scratchPostgres, serverDependency, serverModule, signUpAndConfirm, startServerProcess, trpcClient } from '../_lib/server.mjs';

const TARGET_MS = 200;
const { values: opts } = parseArgs({ options: { patients: { type: 'string', default: '100000' }, noise: { type: 'string', default: '50000' }, runs: { type: 'string', default: '40' } } });
const PATIENTS = Number(opts.patients);
const NOISE = Number(opts.noise);
const RUNS = Number(opts.runs);
const hex = (n) => randomBytes(n).toString('hex');

const month = new Date().getUTCMonth() + 1;
const FILTERS = {
  everyone: {},
  locationAndProvider: { locations: ['Clinic 3'], providers: ['Dr. 07', 'Dr. 12'] },
  tagsAny: { tags: ['diabetes', 'asthma'], tagMatch: 'any' },
  tagsAll: { tags: ['diabetes', 'spanish'], tagMatch: 'all' },
  marketingAdults: { ageMin: 18, ageMax: 65, hasPhone: true, consent: { smsMarketingOptIn: true, optedOut: false, blocked: false } },
  birthdayThisMonth: { birthdayMonths: [month], hasPhone: true },
  importedLast90Days: { addedVia: 'import', addedFrom: new Date(Date.now() - 90 * 86400_000).toISOString().slice(0, 10) },
  everythingAtOnce: { locations: ['Clinic 1', 'Clinic 2'], tags: ['flu-shot'], ageMin: 50, birthdayMonths: [month], hasPhone: true, hasEmail: true, consent: { smsTransactionalOptIn: true, optedOut: false }, addedVia: 'created' },
};

/** Deterministic-ish realistic patients for one org, generated inside PostgreSQL. */
function insertPatients(orgId, n, seed) {
  return `
    SELECT setseed(${seed});
    INSERT INTO "Patient" (id, "orgId", mrn, phone, "phoneLineType", email, "firstName", "lastName", dob, tags, location, provider,
      "smsTransactionalOptIn", "smsMarketingOptIn", "emailMarketingOptIn", "optedOutAt", "blockedAt", "emailSuppressedAt", "unsubscribedAt", source, "createdAt", "updatedAt")
    SELECT gen_random_uuid()::text, '${orgId}', 'MRN-' || g, CASE WHEN random() < 0.9 THEN '+1415' || lpad((g % 10000000)::text, 7, '0') END, 'mobile',
      CASE WHEN random() < 0.6 THEN 'p' || g || '@example.com' END, 'First' || (g % 997), 'Last' || (g % 1499),
      CASE WHEN random() < 0.97 THEN to_char(date '1930-01-01' + (random() * 34000)::int, 'YYYY-MM-DD') END,
      (SELECT coalesce(array_agg(t), '{}') FROM unnest(ARRAY['diabetes','asthma','spanish','flu-shot','hypertension','pediatric','vip','new-patient','smoker','pregnant']) t WHERE random() < 0.12 + g * 0),
      'Clinic ' || (1 + (random() * 7)::int), 'Dr. ' || lpad((1 + (random() * 39)::int)::text, 2, '0'),
      random() < 0.7, random() < 0.3, random() < 0.25,
      CASE WHEN random() < 0.03 THEN now() END, CASE WHEN random() < 0.005 THEN now() END, CASE WHEN random() < 0.02 THEN now() END, CASE WHEN random() < 0.03 THEN now() END,
      CASE WHEN random() < 0.5 THEN 'import' ELSE 'staff' END, now() - random() * interval '1095 days', now()
    FROM generate_series(1, ${n}) g;`;
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

let summary = { bench: 'cohorts', value: null, unit: 'ms (p95 of cohorts.count, slowest filter)', target: TARGET_MS, ok: false };
async function main() {
  cleanupOnSignals();
  summary.machine = machine();
  console.log(`machine: ${summary.machine.cores} CPUs, load average ${summary.machine.loadAverage.join(' ')}`);
  const { default: pg } = await serverDependency('pg');
  const db = await scratchPostgres('ct_bench_cohorts_');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  await startServerProcess({ DATABASE_URL: db.url, PUBLIC_URL: url, PORT: String(port) }, { label: 'server' });
  const token = await signUpAndConfirm(url, { name: 'Bench Admin', email: `bench-${hex(4)}@clinic.example`, password: 'correct horse battery staple' });
  const api = trpcClient(url, token);
  await api.mutate('orgs.create', { name: 'Bench Clinic', timeZone: 'America/Chicago' });
  const client = new pg.Client({ connectionString: db.url });
  client.on('error', () => {});
  await client.connect();
  const [{ orgId }] = (await client.query(`SELECT id AS "orgId" FROM "Org" WHERE name = 'Bench Clinic'`)).rows;
  const [{ id: noiseOrgId }] = (await client.query(`INSERT INTO "Org" (id, name, "joinCode", "updatedAt") VALUES (gen_random_uuid()::text, 'Noise Clinic', 'NOISE${hex(3)}', now()) RETURNING id`)).rows;
  let t = performance.now();
  await client.query(insertPatients(orgId, PATIENTS, 0.42));
  if (NOISE) await client.query(insertPatients(noiseOrgId, NOISE, 0.24));
  // A table in steady state: autovacuum has run (visibility map set, so counts can be index-only).
  await client.query('VACUUM ANALYZE "Patient"');
  console.log(`seeded ${int(PATIENTS)} patients (+ ${int(NOISE)} in another org) in ${round((performance.now() - t) / 1000, 1)} s`);

  const { cohortPatients } = await serverModule('cohorts/cohort-patients.js');
  const { cohortFilterSchema } = await import('@caretext/shared').catch(() => serverDependency('@caretext/shared'));
  const results = {};
  for (const [name, raw] of Object.entries(FILTERS)) {
    const filter = cohortFilterSchema.parse(raw);
    for (let i = 0; i < 2; i++) await api.query('cohorts.count', { filter });
    const times = [];
    let count = 0;
    for (let i = 0; i < RUNS; i++) {
      t = performance.now();
      count = (await api.query('cohorts.count', { filter })).count;
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    const sql = cohortPatients(orgId, filter, { timeZone: 'America/Chicago', now: new Date() });
    const plan = (await client.query({ text: `EXPLAIN (ANALYZE, FORMAT JSON) SELECT count(*) FROM (${sql.text}) c`, values: sql.values })).rows[0]['QUERY PLAN'][0];
    const indexes = [...new Set(JSON.stringify(plan).match(/"Index Name":"[^"]+"/g) ?? [])].map((s) => s.slice(14, -1));
    results[name] = { count, p50: round(percentile(times, 50), 1), p95: round(percentile(times, 95), 1), dbMs: round(plan['Execution Time'], 1), indexes };
    console.log(`${name.padEnd(20)} ${int(count).padStart(7)} patients  p50 ${results[name].p50} ms  p95 ${results[name].p95} ms  (database ${results[name].dbMs} ms${indexes.length ? `, ${indexes.join(', ')}` : ', sequential scan'})`);
  }
  await client.end();
  t = performance.now();
  await api.query('cohorts.preview', { filter: cohortFilterSchema.parse(FILTERS.marketingAdults), limit: 10 });
  const previewMs = round(performance.now() - t, 1);
  const slowest = Math.max(...Object.values(results).map((r) => r.p95));
  summary = { ...summary, value: slowest, ratio: round(slowest / TARGET_MS, 3), ok: slowest <= TARGET_MS, patients: PATIENTS, otherOrgPatients: NOISE, runs: RUNS, previewMs, filters: results };
}

try {
  await main();
} catch (error) {
  summary.errors = [String(error?.stack ?? error)];
  console.error(`bench cohorts: ${error?.message ?? error}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
console.log(JSON.stringify(summary));
