// Status-webhook ingest (issue 5): signed Twilio status callbacks from a load generator on
// loopback at a fixed arrival rate, against the built server in its own process on PostgreSQL.
// Reports requests/s, p50/p99 latency and whether every callback was persisted.
//   pnpm bench webhooks [--rate 2000] [--seconds 10] [--duplicates 0.05] [--warmup 3000]
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';
import { cleanup, cleanupOnSignals, int, onCleanup, ROOT, round, scratchPostgres, serverDependency } from '../_lib/server.mjs';

const { values: args } = parseArgs({ options: { rate: { type: 'string', default: '2000' }, seconds: { type: 'string', default: '10' }, duplicates: { type: 'string', default: '0.05' }, warmup: { type: 'string', default: '3000' } } });
const RATE = Number(args.rate);
const SECONDS = Number(args.seconds);
const DUPLICATES = Number(args.duplicates);
const WARMUP = Number(args.warmup);
const TARGET = { rate: 2000, p99Ms: 50 };

cleanupOnSignals();
const result = { bench: 'webhooks', value: 0, unit: 'req/s', target: TARGET.rate, ok: false };

function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const hex = (n) => randomBytes(n).toString('hex');

async function main() {
  const { default: pg } = await serverDependency('pg');
  const { default: twilio } = await serverDependency('twilio');
  const db = await scratchPostgres('ct_bench_hooks_');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const accountSid = `AC${hex(16)}`;
  const authToken = hex(16);

  // The real server, as in production: real-Twilio mode (so signatures are checked with this
  // token), PostgreSQL, in its own process so the load generator does not share its thread.
  // BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the server.
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, 'server/dist/main.js'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: base, DATABASE_URL: db.url, TWILIO_ACCOUNT_SID: accountSid, TWILIO_AUTH_TOKEN: authToken, SEED_DEMO: '0', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  onCleanup(() => new Promise((resolve) => (child.exitCode !== null ? resolve() : (child.once('exit', resolve), child.kill('SIGTERM')))));
  for (let i = 0; !output.includes('CareText is running at'); i++) {
    if (child.exitCode !== null || i > 600) throw new Error(`server did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }

  // Messages to call back about, written straight into the database.
  const messages = Math.ceil((RATE * SECONDS) / 2);
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  const org = `org_${hex(4)}`;
  await client.query(`INSERT INTO "Org" (id, name, "joinCode", "updatedAt") VALUES ($1, 'Bench Clinic', $2, now())`, [org, hex(4).toUpperCase()]);
  await client.query(`INSERT INTO "Team" (id, "orgId", name) VALUES ($1, $2, 'Front Desk')`, [`team_${org}`, org]);
  await client.query(`INSERT INTO "PhoneNumber" (id, "orgId", "teamId", e164, "carrierSid") VALUES ($1, $2, $3, '+14155550100', $4)`, [`num_${org}`, org, `team_${org}`, `PN${hex(16)}`]);
  await client.query(`INSERT INTO "Patient" (id, "orgId", phone) VALUES ($1, $2, '+14155550199')`, [`pat_${org}`, org]);
  await client.query(`INSERT INTO "Conversation" (id, "orgId", "teamId", kind, "phoneNumberId", "patientId") VALUES ($1, $2, $3, 'sms', $4, $5)`, [`conv_${org}`, org, `team_${org}`, `num_${org}`, `pat_${org}`]);
  const sids = Array.from({ length: messages }, () => `SM${hex(16)}`);
  for (let i = 0; i < sids.length; i += 5000) {
    const chunk = sids.slice(i, i + 5000);
    await client.query(
      `INSERT INTO "Message" (id, "orgId", "conversationId", direction, channel, body, status, "statusRank", "fromNumber", "toNumber", "carrierSid")
       SELECT gen_random_uuid()::text, $1, $2, 'outbound', 'sms', 'Reminder', 'sending', 1, '+14155550100', '+14155550199', s FROM unnest($3::text[]) s`,
      [org, `conv_${org}`, chunk],
    );
  }

  // Every message gets sent then delivered; a share of callbacks is repeated (Twilio retries),
  // and repeats go out after the later status, so they also arrive out of order.
  const url = `${base}/webhooks/twilio/status`;
  const requests = [];
  for (const sid of sids) for (const status of ['sent', 'delivered']) requests.push({ sid, status });
  const repeats = Math.round(requests.length * DUPLICATES);
  for (let i = 0; i < repeats; i++) requests.push({ ...requests[(i * 7919) % requests.length], repeat: true });
  const prepared = requests.map(({ sid, status }) => {
    const params = { AccountSid: accountSid, ApiVersion: '2010-04-01', From: '+14155550100', To: '+14155550199', MessageSid: sid, SmsSid: sid, MessageStatus: status, SmsStatus: status };
    return { body: new URLSearchParams(params).toString(), signature: twilio.getExpectedTwilioSignature(authToken, url, params) };
  });

  // Warm-up, not measured: a server that just started compiles its hot paths on the first few
  // thousand requests; a production server has long done that.
  const warmAgent = new Agent({ keepAlive: true, maxSockets: 32 });
  const warmUrl = new URL(url);
  const warmSids = Array.from({ length: WARMUP }, () => `SMwarm${hex(13)}`);
  for (let i = 0; i < warmSids.length; i += 32) {
    await Promise.all(
      warmSids.slice(i, i + 32).map((sid) => {
        const params = { AccountSid: accountSid, ApiVersion: '2010-04-01', MessageSid: sid, SmsSid: sid, MessageStatus: 'sent', SmsStatus: 'sent' };
        const body = new URLSearchParams(params).toString();
        return new Promise((ok, fail) => {
          const req = request({ host: warmUrl.hostname, port: warmUrl.port, path: warmUrl.pathname, method: 'POST', agent: warmAgent, headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body), 'x-twilio-signature': twilio.getExpectedTwilioSignature(authToken, url, params) } }, (res) => {
            res.resume();
            res.on('end', ok);
          });
          req.on('error', fail);
          req.end(body);
        });
      }),
    );
  }
  warmAgent.destroy();

  // Open loop: request i leaves at start + i/rate whatever the server does, like Twilio.
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const target = new URL(url);
  const latencies = new Float64Array(prepared.length);
  const statuses = new Map();
  const started = performance.now();
  let next = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  await new Promise((resolve) => {
    const fire = (i) => {
      const t0 = performance.now();
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      new Promise((ok, fail) => {
        const req = request(
          { host: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent, headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(prepared[i].body), 'x-twilio-signature': prepared[i].signature } },
          (res) => {
            res.resume();
            res.on('end', () => ok(res.statusCode));
          },
        );
        req.on('error', fail);
        req.end(prepared[i].body);
      })
        .then((code) => statuses.set(code, (statuses.get(code) ?? 0) + 1))
        .catch((error) => statuses.set(`error:${error.code ?? error.message}`, (statuses.get(`error:${error.code ?? error.message}`) ?? 0) + 1))
        .finally(() => {
          latencies[i] = performance.now() - t0;
          inFlight--;
          if (next >= prepared.length && inFlight === 0) resolve();
        });
    };
    const tick = () => {
      const due = Math.min(prepared.length, Math.floor(((performance.now() - started) / 1000) * RATE) + 1);
      while (next < due) fire(next++);
      if (next < prepared.length) setTimeout(tick, 1);
    };
    tick();
  });
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();

  const sorted = [...latencies].sort((a, b) => a - b);
  const pct = (p) => round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))], 1);
  const [events] = (await client.query(`SELECT count(*)::int AS n FROM "CarrierEvent" WHERE kind = 'status' AND "messageSid" NOT LIKE 'SMwarm%'`)).rows;
  const [delivered] = (await client.query(`SELECT count(*)::int AS n FROM "Message" WHERE status = 'delivered'`)).rows;
  await client.end();
  const expectedEvents = sids.length * 2;
  const achieved = round(prepared.length / elapsed, 0);
  const ok204 = statuses.get(204) ?? 0;
  const noneLost = events.n === expectedEvents && delivered.n === sids.length && ok204 === prepared.length;

  console.log(`${int(prepared.length)} signed callbacks (${int(repeats)} repeats) at ${int(RATE)}/s offered: ${int(achieved)}/s achieved in ${round(elapsed, 2)} s, max ${maxInFlight} in flight`);
  console.log(`latency p50 ${pct(50)} ms, p90 ${pct(90)} ms, p99 ${pct(99)} ms, max ${round(sorted.at(-1), 1)} ms; answers ${JSON.stringify(Object.fromEntries(statuses))}`);
  console.log(`persisted ${int(events.n)} of ${int(expectedEvents)} distinct callbacks; ${int(delivered.n)} of ${int(sids.length)} messages delivered -> ${noneLost ? 'none lost' : 'LOST OR WRONG'}`);
  Object.assign(result, {
    value: achieved,
    offeredRate: RATE,
    requests: prepared.length,
    repeats,
    seconds: round(elapsed, 2),
    p50Ms: pct(50),
    p90Ms: pct(90),
    p99Ms: pct(99),
    maxMs: round(sorted.at(-1), 1),
    targetP99Ms: TARGET.p99Ms,
    answers: Object.fromEntries(statuses),
    persisted: events.n,
    expectedPersisted: expectedEvents,
    delivered: delivered.n,
    noneLost,
    db: 'postgres',
    ok: achieved >= TARGET.rate * 0.98 && pct(99) < TARGET.p99Ms && noneLost,
  });
}

main()
  .catch((error) => {
    console.error(`webhooks bench failed: ${error.stack ?? error}`);
    result.errors = { run: String(error.message ?? error) };
    process.exitCode = 1;
  })
  .finally(async () => {
    await cleanup();
    console.log(JSON.stringify(result));
  });
