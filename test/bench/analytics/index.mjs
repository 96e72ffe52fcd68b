// pnpm bench analytics [--messages 1000000] [--noise 100000] [--runs 20]
//
// Issue 13's Analytics → Blasts on PostgreSQL: analytics.blasts over HTTP (what the dashboard
// calls for each range and filter) on an org with `--messages` messages, beside another org with
// `--noise`. Figures come from per-day rollups (server/src/analytics/analytics-rollup.ts) that a
// query first brings up to date, so the bench keeps the org live: before every call it writes
// what a working clinic writes (a text sent now, a late callback failing one of today's, a
// patient's reply that answers older blast messages) straight in SQL, and the call pays for
// recomputing the days the text and the failure touched and for adding the reply's answered
// blast messages to the stored days. For each QUERY: p50 and p95 of the round trip over
// `--runs` calls (after two warm-up calls), the days recomputed per call, whether the answer
// equals the raw computation from Message (blastDaysSql) at the end, and that statement's own
// execution time (EXPLAIN ANALYZE: what every call cost before the rollups). `coldMs`: the
// first 366-day call, which computes every day of the year. value = the slowest query's p95
// (ms); target 200 ms. The last line is one JSON object.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { cleanup, cleanupOnSignals, freePort, int, machine, round, scratchPostgres, serverDependency, serverModule, signUpAndConfirm, startServerProcess, trpcClient } from '../_lib/server.mjs';

const TARGET_MS = 200;
const TIME_ZONE = 'America/Chicago';
const TEAMS = 4;
const CONVERSATIONS = 40_000;
const { values: opts } = parseArgs({ options: { messages: { type: 'string', default: '1000000' }, noise: { type: 'string', default: '100000' }, runs: { type: 'string', default: '20' } } });
const MESSAGES = Number(opts.messages);
const NOISE = Number(opts.noise);
const RUNS = Number(opts.runs);
const hex = (n) => randomBytes(n).toString('hex');

/** The org's local date `daysAgo` days before today, YYYY-MM-DD. */
function localDay(daysAgo) {
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
  const d = new Date(`${today}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() - daysAgo);
  return d.toISOString().slice(0, 10);
}

/** Teams, numbers and conversations of one org (ids derived from `tag`, so messages can name them). */
function insertOrgShape(orgId, tag, conversations) {
  return `
    INSERT INTO "Team" (id, "orgId", name) SELECT '${tag}-team-' || t, '${orgId}', 'Team ' || t FROM generate_series(0, ${TEAMS - 1}) t;
    INSERT INTO "PhoneNumber" (id, "orgId", "teamId", e164, "carrierSid", "messagesPerSecond")
      SELECT '${tag}-num-' || t, '${orgId}', '${tag}-team-' || t, '${tag === 'a' ? '+1312555' : '+1773555'}' || lpad(t::text, 4, '0'), '${tag}-PN' || t, 10 FROM generate_series(0, ${TEAMS - 1}) t;
    INSERT INTO "Conversation" (id, "orgId", "teamId", kind, "phoneNumberId", "patientId", "lastMessageAt", "createdAt")
      SELECT '${tag}-conv-' || g, '${orgId}', '${tag}-team-' || (g % ${TEAMS}), 'sms', '${tag}-num-' || (g % ${TEAMS}), '${tag}-patient-' || g, now(), now() - interval '400 days'
        FROM generate_series(0, ${conversations - 1}) g;`;
}

/**
 * `n` messages over the last 400 days: 15% inbound replies, the rest outbound (60% from 300
 * blasts, 40% one-to-one; 5% MMS; 90% delivered, 4% sent, 3% undelivered, 3% failed).
 */
function insertMessages(orgId, tag, n, conversations, seed) {
  return `
    SELECT setseed(${seed});
    INSERT INTO "Message" (id, "orgId", "conversationId", direction, channel, body, status, "statusRank", "idempotencyKey", segments, encoding, automated, "createdAt", "sentAt")
    SELECT '${tag}-m-' || g, '${orgId}', '${tag}-conv-' || (g % ${conversations}),
           CASE WHEN x.kind < 0.15 THEN 'inbound' ELSE 'outbound' END,
           CASE WHEN x.kind >= 0.15 AND x.mms < 0.05 THEN 'mms' ELSE 'sms' END,
           'Bench message ' || g,
           CASE WHEN x.kind < 0.15 THEN 'received' WHEN x.st < 0.90 THEN 'delivered' WHEN x.st < 0.94 THEN 'sent' WHEN x.st < 0.97 THEN 'undelivered' ELSE 'failed' END,
           CASE WHEN x.kind < 0.15 THEN 0 WHEN x.st < 0.90 THEN 3 WHEN x.st < 0.94 THEN 2 ELSE 3 END,
           CASE WHEN x.kind >= 0.15 AND x.kind < 0.66 THEN 'blast:${tag}-' || (g % 300) WHEN x.kind >= 0.15 THEN 'send-' || g END,
           CASE WHEN x.kind < 0.15 THEN 0 ELSE 1 + (x.st * 1000)::int % 3 END, 'GSM-7', x.kind >= 0.15 AND x.kind < 0.66,
           x.at, CASE WHEN x.kind >= 0.15 AND x.st < 0.97 THEN x.at + interval '2 seconds' END
      FROM (SELECT g, random() AS kind, random() AS mms, random() AS st, now() - random() * interval '400 days' AS at FROM generate_series(1, ${n}) g) x;`;
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

let summary = { bench: 'analytics', value: null, unit: 'ms (p95 of analytics.blasts, slowest query)', target: TARGET_MS, ok: false };
async function main() {
  cleanupOnSignals();
  summary.machine = machine();
  console.log(`machine: ${summary.machine.cores} CPUs, load average ${summary.machine.loadAverage.join(' ')}`);
  const { default: pg } = await serverDependency('pg');
  const db = await scratchPostgres('ct_bench_analytics_');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  await startServerProcess({ DATABASE_URL: db.url, PUBLIC_URL: url, PORT: String(port) }, { label: 'server' });
  const token = await signUpAndConfirm(url, { name: 'Bench Admin', email: `bench-${hex(4)}@clinic.example`, password: 'correct horse battery staple' });
  const api = trpcClient(url, token);
  await api.mutate('orgs.create', { name: 'Bench Clinic', timeZone: TIME_ZONE });
  const client = new pg.Client({ connectionString: db.url });
  client.on('error', () => {});
  await client.connect();
  const [{ orgId }] = (await client.query(`SELECT id AS "orgId" FROM "Org" WHERE name = 'Bench Clinic'`)).rows;
  const [{ id: noiseOrgId }] = (await client.query(`INSERT INTO "Org" (id, name, "joinCode", "updatedAt") VALUES (gen_random_uuid()::text, 'Noise Clinic', 'NOISE${hex(3)}', now()) RETURNING id`)).rows;
  let t = performance.now();
  // Seeded as a database that held these messages before migration analytics_rollups: with the
  // triggers off (no change rows, no stored day), so the first call computes every day (coldMs).
  await client.query(`SET session_replication_role = replica`);
  await client.query(insertOrgShape(orgId, 'a', CONVERSATIONS));
  await client.query(insertMessages(orgId, 'a', MESSAGES, CONVERSATIONS, 0.42));
  if (NOISE) {
    await client.query(insertOrgShape(noiseOrgId, 'n', CONVERSATIONS / 8));
    await client.query(insertMessages(noiseOrgId, 'n', NOISE, CONVERSATIONS / 8, 0.24));
  }
  await client.query(`SET session_replication_role = DEFAULT`);
  // A table in steady state: autovacuum has run (statistics, visibility map).
  await client.query('VACUUM ANALYZE "Message"');
  await client.query('VACUUM ANALYZE "Conversation"');
  console.log(`seeded ${int(MESSAGES)} messages (+ ${int(NOISE)} in another org) in ${round((performance.now() - t) / 1000, 1)} s`);

  const QUERIES = {
    last7Days: { firstDay: localDay(6), lastDay: localDay(0) },
    last30Days: { firstDay: localDay(29), lastDay: localDay(0) },
    last90Days: { firstDay: localDay(89), lastDay: localDay(0) },
    last366Days: { firstDay: localDay(365), lastDay: localDay(0) },
    last30DaysOneTeam: { firstDay: localDay(29), lastDay: localDay(0), teamId: 'a-team-1' },
    last30DaysOneNumber: { firstDay: localDay(29), lastDay: localDay(0), phoneNumberId: 'a-num-2' },
  };
  const { blastDaysSql, period } = await serverModule('analytics/analytics.service.js');
  const allTeams = Array.from({ length: TEAMS }, (_, i) => `a-team-${i}`);
  const pending = async () => (await client.query(`SELECT count(*)::int AS n FROM "AnalyticsChange" WHERE "orgId" = $1`, [orgId])).rows[0].n;
  let live = 0;
  /** What a working clinic writes between two dashboard loads; every write goes through the triggers. */
  async function liveWrites() {
    live++;
    const conv = `a-conv-${(live * 7919) % CONVERSATIONS}`;
    await client.query(
      `INSERT INTO "Message" (id, "orgId", "conversationId", direction, channel, body, status, "statusRank", "idempotencyKey", segments, encoding, automated, "createdAt", "sentAt")
       VALUES ($1, $2, $3, 'outbound', 'sms', 'Live text', 'sent', 2, $1, 1, 'GSM-7', false, now(), now())`,
      [`live-${live}`, orgId, conv],
    );
    await client.query(
      `UPDATE "Message" SET status = 'failed', "statusRank" = 4, "failedAt" = now()
        WHERE id = (SELECT id FROM "Message" WHERE "orgId" = $1 AND direction = 'outbound' AND status = 'sent' AND "sentAt" > now() - interval '1 day' LIMIT 1)`,
      [orgId],
    );
    await client.query(
      `INSERT INTO "Message" (id, "orgId", "conversationId", direction, channel, body, status, "createdAt") VALUES ($1, $2, $3, 'inbound', 'sms', 'Thanks', 'received', now())`,
      [`live-reply-${live}`, orgId, `a-conv-${(live * 104_729) % CONVERSATIONS}`],
    );
  }

  const changesAfterSeed = await pending();
  t = performance.now();
  await api.query('analytics.blasts', QUERIES.last366Days);
  const coldMs = round(performance.now() - t, 1);
  console.log(`cold: the first 366-day call (${int(changesAfterSeed)} change rows pending) computed every day in ${coldMs} ms`);

  const results = {};
  for (const [name, input] of Object.entries(QUERIES)) {
    for (let i = 0; i < 2; i++) {
      await liveWrites();
      await api.query('analytics.blasts', input);
    }
    const times = [];
    const recomputed = [];
    let totals = null;
    for (let i = 0; i < RUNS; i++) {
      await liveWrites();
      const [{ at }] = (await client.query(`SELECT clock_timestamp() AS at`)).rows;
      t = performance.now();
      totals = (await api.query('analytics.blasts', input)).totals;
      times.push(performance.now() - t);
      recomputed.push((await client.query(`SELECT count(*)::int AS n FROM "AnalyticsDay" WHERE "orgId" = $1 AND "computedAt" >= $2`, [orgId, at])).rows[0].n);
    }
    const slowest = times.indexOf(Math.max(...times));
    const slowestCall = { ms: round(times[slowest], 1), daysRecomputed: recomputed[slowest] };
    times.sort((a, b) => a - b);
    const { start, end } = period(input.firstDay, input.lastDay, TIME_ZONE);
    const sql = blastDaysSql({ orgId, timeZone: TIME_ZONE, start, end, teamIds: input.teamId ? [input.teamId] : allTeams, phoneNumberId: input.phoneNumberId });
    // Exactness: the rollup's answer (no write since the last call) equals the raw computation.
    const answer = await api.query('analytics.blasts', input);
    const raw = (await client.query({ text: sql.text, values: sql.values })).rows;
    const rawByDate = new Map(raw.map((r) => [r.date, r]));
    const exact = answer.days.every((d) => {
      const r = rawByDate.get(d.date) ?? { blast: 0, oneToOne: 0, segments: 0, mms: 0, blastReplied: 0 };
      return d.blast === r.blast && d.oneToOne === r.oneToOne && d.segments === r.segments && d.mms === r.mms && d.blastReplied === r.blastReplied;
    });
    const plan = (await client.query({ text: `EXPLAIN (ANALYZE, FORMAT JSON) ${sql.text}`, values: sql.values })).rows[0]['QUERY PLAN'][0];
    results[name] = {
      messages: totals.messages,
      p50: round(percentile(times, 50), 1),
      p95: round(percentile(times, 95), 1),
      daysRecomputedPerCall: round(recomputed.reduce((a, b) => a + b, 0) / recomputed.length, 1),
      slowestCall,
      exact,
      rawDbMs: round(plan['Execution Time'], 1),
    };
    const r = results[name];
    console.log(`${name.padEnd(20)} ${int(totals.messages).padStart(8)} texts  p50 ${r.p50} ms  p95 ${r.p95} ms  (${r.daysRecomputedPerCall} days recomputed per call, slowest ${slowestCall.ms} ms with ${slowestCall.daysRecomputed}; ${exact ? 'equals' : 'DIFFERS FROM'} the raw statement, which takes ${r.rawDbMs} ms)`);
  }
  await client.end();
  const slowest = Math.max(...Object.values(results).map((r) => r.p95));
  const allExact = Object.values(results).every((r) => r.exact);
  summary = { ...summary, value: slowest, ratio: round(slowest / TARGET_MS, 3), ok: slowest <= TARGET_MS && allExact, exact: allExact, coldMs, messages: MESSAGES, otherOrgMessages: NOISE, runs: RUNS, queries: results, machineAfter: machine().loadAverage };
}

try {
  await main();
} catch (error) {
  summary.errors = [String(error?.stack ?? error)];
  console.error(`bench analytics: ${error?.message ?? error}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
console.log(JSON.stringify(summary));
