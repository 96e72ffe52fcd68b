// Status-webhook ingest (issues 5 and 11): signed Twilio status callbacks from a load generator
// (worker threads, generator.mjs) on loopback at a given arrival rate, against N processes of the
// built server on one scratch PostgreSQL database, spread round-robin. Reports requests/s,
// p50/p99 latency and whether every callback was persisted.
//   pnpm bench webhooks [--rate 2000|max] [--seconds 10] [--instances 1|2|1,2] [--duplicates 0.05]
//                       [--warmup 3000] [--workers 2] [--start 1000] [--step x1.25|+1000]
//                       [--step-seconds 3] [--max-rate 40000] [--retries 1]
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { cleanup, cleanupOnSignals, freePort, int, machine, machineCpu, round, scratchPostgres, serverDependency, startServerProcess } from '../_lib/server.mjs';

const { values: args } = parseArgs({
  options: {
    rate: { type: 'string', default: '2000' },
    seconds: { type: 'string', default: '10' },
    duplicates: { type: 'string', default: '0.05' },
    warmup: { type: 'string', default: '3000' },
    instances: { type: 'string', default: '1' },
    workers: { type: 'string', default: String(Math.min(2, availableParallelism())) },
    start: { type: 'string', default: '1000' },
    step: { type: 'string', default: 'x1.25' },
    'step-seconds': { type: 'string', default: '3' },
    'max-rate': { type: 'string', default: '40000' },
    retries: { type: 'string', default: '1' },
  },
});
const SATURATE = args.rate === 'max';
const RATE = SATURATE ? null : Number(args.rate);
const SECONDS = Number(args.seconds);
const DUPLICATES = Number(args.duplicates);
const WARMUP = Number(args.warmup);
const INSTANCES = args.instances.split(',').map((n) => Number(n.trim()));
const WORKERS = Math.max(1, Number(args.workers));
const STEP_SECONDS = Number(args['step-seconds']);
const START = Number(args.start);
const MAX_RATE = Number(args['max-rate']);
const RETRIES = Number(args.retries);
const stepMatch = /^([x+])(\d+(?:\.\d+)?)$/.exec(args.step);
if (!stepMatch || INSTANCES.some((n) => !Number.isInteger(n) || n < 1) || (!SATURATE && !(RATE > 0))) {
  console.error('usage: pnpm bench webhooks [--rate 2000|max] [--seconds 10] [--instances 1|2|1,2] [--step x1.25|+1000] ...');
  process.exit(2);
}
const MIN_RATE = 100;
const prevRate = (rate) => Math.round(stepMatch[1] === 'x' ? rate / Number(stepMatch[2]) : rate - Number(stepMatch[2]));
const nextRate = (rate) => Math.round(stepMatch[1] === 'x' ? rate * Number(stepMatch[2]) : rate + Number(stepMatch[2]));
// Issue 5: 2,000/s at a fixed rate; issue 11: the rate held (saturation search) is at least 5,000/s.
const TARGET = SATURATE ? { rate: 5000, p99Ms: 50 } : { rate: 2000, p99Ms: 50 };
// What instances sign against: a load balancer's address, not any instance's own host and port
// (an instance that checked its own host would answer 403 to everything).
const PUBLIC_URL = 'https://hooks.caretext-bench.invalid';

cleanupOnSignals();
const result = { bench: 'webhooks', mode: SATURATE ? 'max' : 'fixed', value: 0, unit: 'req/s', target: TARGET.rate, targetP99Ms: TARGET.p99Ms, ok: false };
const hex = (n) => randomBytes(n).toString('hex');

function percentile(sorted, p) {
  if (!sorted.length) return null;
  return round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))], 1);
}

/** A worker thread of the load generator, driven by request/answer messages. */
function startGenerator(workerData) {
  const worker = new Worker(new URL('./generator.mjs', import.meta.url), { workerData });
  let failed = null;
  worker.on('error', (error) => (failed = error));
  const call = (msg) =>
    new Promise((resolve, reject) => {
      if (failed) return reject(failed);
      const onError = (error) => reject(error);
      worker.once('error', onError);
      worker.once('message', (answer) => {
        worker.off('error', onError);
        if (answer.ok) resolve(answer);
        else reject(new Error(`generator ${workerData.index}: ${answer.error}`));
      });
      worker.postMessage(msg);
    });
  return { call, terminate: () => worker.terminate() };
}

/** N server processes on one scratch database, a clinic with a conversation, and W generator threads. */
async function setUp(instances) {
  const { default: pg } = await serverDependency('pg');
  const db = await scratchPostgres('ct_bench_hooks_');
  const accountSid = `AC${hex(16)}`;
  const authToken = hex(16);
  // The real server, as in production: real-Twilio mode (signatures checked with this token),
  // PostgreSQL, each instance in its own process; same PUBLIC_URL and credentials, own port.
  const servers = [];
  for (let k = 0; k < instances; k++) {
    const port = await freePort();
    const server = await startServerProcess({ PORT: String(port), PUBLIC_URL, DATABASE_URL: db.url, TWILIO_ACCOUNT_SID: accountSid, TWILIO_AUTH_TOKEN: authToken }, { label: `instance ${k + 1}` });
    servers.push({ ...server, port });
  }
  const client = new pg.Client({ connectionString: db.url });
  // At cleanup the database is dropped WITH (FORCE): a connection still open must not crash the bench.
  client.on('error', () => {});
  await client.connect();
  const org = `org_${hex(4)}`;
  await client.query(`INSERT INTO "Org" (id, name, "joinCode", "updatedAt") VALUES ($1, 'Bench Clinic', $2, now())`, [org, hex(4).toUpperCase()]);
  await client.query(`INSERT INTO "Team" (id, "orgId", name) VALUES ($1, $2, 'Front Desk')`, [`team_${org}`, org]);
  await client.query(`INSERT INTO "PhoneNumber" (id, "orgId", "teamId", e164, "carrierSid") VALUES ($1, $2, $3, '+14155550100', $4)`, [`num_${org}`, org, `team_${org}`, `PN${hex(16)}`]);
  await client.query(`INSERT INTO "Patient" (id, "orgId", phone) VALUES ($1, $2, '+14155550199')`, [`pat_${org}`, org]);
  await client.query(`INSERT INTO "Conversation" (id, "orgId", "teamId", kind, "phoneNumberId", "patientId") VALUES ($1, $2, $3, 'sms', $4, $5)`, [`conv_${org}`, org, `team_${org}`, `num_${org}`, `pat_${org}`]);
  const targets = servers.map((s) => ({ host: '127.0.0.1', port: s.port }));
  const generators = Array.from({ length: WORKERS }, (_, index) => startGenerator({ accountSid, authToken, publicUrl: PUBLIC_URL, targets, index, workers: WORKERS }));

  /** Outbound messages in `sending` with carrier ids, written straight into the database. */
  async function seed(count) {
    const sids = Array.from({ length: count }, () => `SM${hex(16)}`);
    for (let i = 0; i < sids.length; i += 5000) {
      await client.query(
        `INSERT INTO "Message" (id, "orgId", "conversationId", direction, channel, body, status, "statusRank", "fromNumber", "toNumber", "carrierSid")
         SELECT gen_random_uuid()::text, $1, $2, 'outbound', 'sms', 'Reminder', 'sending', 1, '+14155550100', '+14155550199', s FROM unnest($3::text[]) s`,
        [org, `conv_${org}`, sids.slice(i, i + 5000)],
      );
    }
    return sids;
  }

  /** What the database holds for these messages: distinct callbacks stored, messages delivered. */
  async function persisted(sids) {
    const [events] = (await client.query(`SELECT count(*)::int AS n FROM "CarrierEvent" WHERE kind = 'status' AND "messageSid" = ANY($1::text[])`, [sids])).rows;
    const [delivered] = (await client.query(`SELECT count(*)::int AS n FROM "Message" WHERE status = 'delivered' AND "carrierSid" = ANY($1::text[])`, [sids])).rows;
    return { events: events.n, delivered: delivered.n };
  }

  return {
    servers,
    generators,
    seed,
    persisted,
    async tearDown() {
      await Promise.all(generators.map((g) => g.call({ cmd: 'close' }).catch(() => {})));
      await Promise.all(generators.map((g) => g.terminate()));
      await client.end();
      await Promise.all(servers.map((s) => s.stop()));
    },
  };
}

/**
 * One measured run at `rate` for `seconds`: fresh messages, each sent then delivered, a share
 * repeated; open loop from every generator thread; then the database is checked.
 */
async function runStep(env, rate, seconds) {
  const sids = await env.seed(Math.ceil((rate * seconds) / 2));
  const expectedEvents = sids.length * 2;
  const repeats = Math.round(expectedEvents * DUPLICATES);
  const requests = expectedEvents + repeats;
  await Promise.all(env.generators.map((g) => g.call({ cmd: 'prepare', sids, duplicates: DUPLICATES })));

  const serverCpu0 = env.servers.map((s) => s.cpuSeconds());
  const ownCpu0 = process.cpuUsage();
  const busy = machineCpu();
  const startAt = performance.timeOrigin + performance.now() + 100;
  const outs = await Promise.all(env.generators.map((g) => g.call({ cmd: 'run', startAt, rate })));
  const endedAt = Math.max(...outs.map((o) => o.timeOrigin + o.endedAt));
  const elapsed = (endedAt - startAt) / 1000;
  const ownCpu = process.cpuUsage(ownCpu0);
  const serverCpu = env.servers.map((s, k) => (s.cpuSeconds() ?? NaN) - (serverCpu0[k] ?? NaN));
  const machineBusy = busy();

  const latencies = new Float64Array(requests);
  const lags = new Float64Array(requests);
  let offset = 0;
  const answers = {};
  for (const o of outs) {
    latencies.set(o.latencies, offset);
    lags.set(o.lags, offset);
    offset += o.latencies.length;
    for (const [k, v] of Object.entries(o.answers)) answers[k] = (answers[k] ?? 0) + v;
  }
  latencies.sort();
  lags.sort();
  const dead = env.servers.findIndex((s) => s.child.exitCode !== null || s.child.signalCode !== null);
  if (dead >= 0) {
    const s = env.servers[dead];
    throw new Error(`instance ${dead + 1} exited (${s.child.exitCode ?? s.child.signalCode}) during the run at ${rate}/s; its output ends with:\n${s.output().slice(-4000)}`);
  }
  const stored = await env.persisted(sids);
  const noneLost = stored.events === expectedEvents && stored.delivered === sids.length && (answers[204] ?? 0) === requests;
  const achieved = round(requests / elapsed, 0);
  const serverCpuSeconds = serverCpu.reduce((a, b) => a + b, 0);
  const figures = {
    offeredRate: rate,
    achievedRate: achieved,
    requests,
    repeats,
    seconds: round(elapsed, 2),
    p50Ms: percentile(latencies, 50),
    p90Ms: percentile(latencies, 90),
    p99Ms: percentile(latencies, 99),
    maxMs: round(latencies.at(-1), 1),
    answers,
    persisted: stored.events,
    expectedPersisted: expectedEvents,
    delivered: stored.delivered,
    noneLost,
    // CPU the servers used per callback (load-independent, unlike the latencies), and in cores.
    serverCpuMsPerCallback: round((serverCpuSeconds * 1000) / requests, 3),
    serverCores: serverCpu.map((s) => round(s / elapsed, 2)),
    // The load generator (this process: main thread + workers): cores, each worker's event-loop
    // utilization, and how late requests left against their schedule.
    generator: { workers: WORKERS, cores: round((ownCpu.user + ownCpu.system) / 1e6 / elapsed, 2), elu: outs.map((o) => round(o.elu, 2)), sendLagP99Ms: percentile(lags, 99), sendLagMaxMs: round(lags.at(-1), 1) },
    machineBusy,
  };
  figures.held = noneLost && figures.p99Ms < TARGET.p99Ms && achieved >= rate * 0.98;
  // Requests that left late (the generator, or the whole machine, short of CPU): the run measured
  // more than the servers; said beside the result rather than hidden in it.
  figures.sentLate = figures.generator.sendLagP99Ms > 20;
  console.log(
    `  ${int(rate)}/s offered: ${int(achieved)}/s in ${figures.seconds} s; p50 ${figures.p50Ms} p90 ${figures.p90Ms} p99 ${figures.p99Ms} max ${figures.maxMs} ms; answers ${JSON.stringify(answers)}; ` +
      `persisted ${int(stored.events)}/${int(expectedEvents)}, delivered ${int(stored.delivered)}/${int(sids.length)}; ` +
      `server ${figures.serverCpuMsPerCallback} ms CPU/callback (${figures.serverCores.join('+')} cores); generator ${figures.generator.cores} cores, ELU ${figures.generator.elu.join('/')}, send lag p99 ${figures.generator.sendLagP99Ms} ms; machine ${machineBusy === null ? '?' : Math.round(machineBusy * 100)}% busy -> ${figures.held ? 'held' : noneLost ? 'not held' : 'LOST OR WRONG'}${figures.sentLate ? ' (requests left late: generator or machine short of CPU)' : ''}`,
  );
  return figures;
}

/** Saturation search: raise the rate step by step until p99 passes the target or a callback is lost. */
async function saturate(env) {
  const steps = [];
  const attempt = async (rate) => {
    let step = null;
    // One retry: on a shared machine a single step can be unlucky.
    for (let k = 0; k <= RETRIES; k++) {
      step = await runStep(env, rate, STEP_SECONDS);
      steps.push({ offeredRate: rate, achievedRate: step.achievedRate, p50Ms: step.p50Ms, p99Ms: step.p99Ms, maxMs: step.maxMs, noneLost: step.noneLost, held: step.held, serverCpuMsPerCallback: step.serverCpuMsPerCallback, generatorCores: step.generator.cores, sendLagP99Ms: step.generator.sendLagP99Ms, machineBusy: step.machineBusy });
      if (step.held || !step.noneLost) break;
    }
    return step;
  };
  const why = (rate, step) =>
    `${int(rate)}/s: ${!step.noneLost ? 'callbacks lost or refused' : step.p99Ms >= TARGET.p99Ms ? `p99 ${step.p99Ms} ms >= ${TARGET.p99Ms} ms` : `achieved ${step.achievedRate}/s < 98% of offered`}` +
    (step.sentLate ? ` (requests left up to ${step.generator.sendLagP99Ms} ms late at p99: the generator or the machine was short of CPU too)` : '');
  let best = null;
  for (let rate = START; rate <= MAX_RATE; rate = nextRate(rate)) {
    const step = await attempt(rate);
    if (step.held) {
      best = step;
      continue;
    }
    if (best) return { maxRate: best.offeredRate, atMax: best, stopReason: why(rate, step), steps };
    // Not even the first rate held (a busy machine): step down until one does.
    const failed = why(rate, step);
    for (let down = prevRate(rate); down >= MIN_RATE; down = prevRate(down)) {
      const lower = await attempt(down);
      if (lower.held) return { maxRate: down, atMax: lower, stopReason: failed, steps };
    }
    return { maxRate: 0, atMax: null, stopReason: `${failed}; nothing held down to ${MIN_RATE}/s`, steps };
  }
  return { maxRate: best?.offeredRate ?? 0, atMax: best, stopReason: `reached --max-rate ${MAX_RATE}`, steps };
}

async function main() {
  result.machine = machine();
  console.log(`machine: ${result.machine.cores} CPUs, load average ${result.machine.loadAverage.join(' ')} (figures are pessimistic when other work runs)`);
  const byInstances = {};
  for (const instances of INSTANCES) {
    console.log(`${instances} instance${instances > 1 ? 's' : ''} on one PostgreSQL database, ${WORKERS} generator thread${WORKERS > 1 ? 's' : ''}, callbacks signed for ${PUBLIC_URL}`);
    const env = await setUp(instances);
    try {
      // Warm-up, not measured: a server that just started compiles its hot paths on the first
      // few thousand requests; a production server has long done that. Each instance gets WARMUP.
      await Promise.all(env.generators.map((g) => g.call({ cmd: 'warm', count: Math.ceil((WARMUP * instances) / WORKERS), concurrency: 32 })));
      if (SATURATE) {
        console.log(`saturation: from ${int(START)}/s, ${args.step} per step, ${STEP_SECONDS} s per step, until p99 >= ${TARGET.p99Ms} ms or a callback is lost`);
        const found = await saturate(env);
        console.log(`${instances} instance(s): held ${int(found.maxRate)}/s with p99 < ${TARGET.p99Ms} ms and none lost; stopped at ${found.stopReason}`);
        byInstances[instances] = found;
      } else {
        const step = await runStep(env, RATE, SECONDS);
        byInstances[instances] = step;
      }
    } finally {
      await env.tearDown();
    }
  }
  const first = byInstances[INSTANCES.includes(1) ? 1 : INSTANCES[0]];
  result.loadAverageAfter = machine().loadAverage;
  if (SATURATE) {
    Object.assign(result, {
      value: first.maxRate,
      instances: INSTANCES,
      byInstances: Object.fromEntries(Object.entries(byInstances).map(([n, f]) => [n, { maxRate: f.maxRate, p99MsAtMax: f.atMax?.p99Ms ?? null, stopReason: f.stopReason, atMax: f.atMax, steps: f.steps }])),
      db: 'postgres',
      ok: first.maxRate >= TARGET.rate,
    });
    if (INSTANCES.length > 1) console.log(`max rate held: ${INSTANCES.map((n) => `${n} instance(s) ${int(byInstances[n].maxRate)}/s`).join(', ')}`);
  } else {
    // The fixed-rate line as before (issue 5), with the figures of the first instance count.
    Object.assign(result, {
      value: first.achievedRate,
      offeredRate: RATE,
      requests: first.requests,
      repeats: first.repeats,
      seconds: first.seconds,
      p50Ms: first.p50Ms,
      p90Ms: first.p90Ms,
      p99Ms: first.p99Ms,
      maxMs: first.maxMs,
      answers: first.answers,
      persisted: first.persisted,
      expectedPersisted: first.expectedPersisted,
      delivered: first.delivered,
      noneLost: first.noneLost,
      serverCpuMsPerCallback: first.serverCpuMsPerCallback,
      generator: first.generator,
      instances: INSTANCES,
      ...(INSTANCES.length > 1 ? { byInstances } : {}),
      db: 'postgres',
      ok: first.achievedRate >= TARGET.rate * 0.98 && first.p99Ms < TARGET.p99Ms && first.noneLost,
    });
  }
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
