// Live events across instances (issue 11): two processes of the built server, A and B, on one
// scratch PostgreSQL database. A subscriber holds A's live inbox stream (conversations.events,
// the SSE subscription the web app and the extension use); signed status callbacks go to B at a
// fixed rate; for each, the time from sending it to B to its message.updated event on A's stream.
//   pnpm bench events [--rate 500] [--seconds 10] [--warmup 500] [--drain 60]
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { parseArgs } from 'node:util';
import { cleanup, cleanupOnSignals, freePort, int, machine, round, scratchPostgres, serverDependency, signUpAndConfirm, startServerProcess, subscribeEvents, trpcClient } from '../_lib/server.mjs';

const { values: args } = parseArgs({
  options: {
    rate: { type: 'string', default: '500' },
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '500' },
    drain: { type: 'string', default: '60' },
  },
});
const RATE = Number(args.rate);
const SECONDS = Number(args.seconds);
const WARMUP = Number(args.warmup);
const DRAIN_MS = Number(args.drain) * 1000;
const TARGET = { p99Ms: 100 };
const PATH = '/webhooks/twilio/status';

cleanupOnSignals();
const result = { bench: 'events', value: null, unit: 'ms', target: TARGET.p99Ms, ok: false };
const hex = (n) => randomBytes(n).toString('hex');

function percentile(sorted, p) {
  if (!sorted.length) return null;
  return round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))], 1);
}

async function main() {
  result.machine = machine();
  console.log(`machine: ${result.machine.cores} CPUs, load average ${result.machine.loadAverage.join(' ')} (figures are pessimistic when other work runs)`);
  const { default: pg } = await serverDependency('pg');
  const { default: twilio } = await serverDependency('twilio');
  const db = await scratchPostgres('ct_bench_events_');
  const accountSid = `AC${hex(16)}`;
  const authToken = hex(16);
  const [portA, portB] = [await freePort(), await freePort()];
  // Both instances: same database, PUBLIC_URL and credentials; each its own port, process and
  // LISTEN connection. PUBLIC_URL on loopback keeps the Dev mailbox on, for the sign-up below.
  const PUBLIC_URL = `http://127.0.0.1:${portA}`;
  const env = { DATABASE_URL: db.url, PUBLIC_URL, TWILIO_ACCOUNT_SID: accountSid, TWILIO_AUTH_TOKEN: authToken };
  const a = await startServerProcess({ ...env, PORT: String(portA) }, { label: 'instance A' });
  const b = await startServerProcess({ ...env, PORT: String(portB) }, { label: 'instance B' });
  const urlA = `http://127.0.0.1:${portA}`;

  // A staff member as a newcomer makes one: sign up, confirm through the Dev mailbox, create the
  // clinic and a team, join it (live events go only to members of the conversation's team).
  const token = await signUpAndConfirm(urlA, { name: 'Bench Staff', email: `bench-${hex(4)}@clinic.example`, password: 'correct horse battery staple' });
  const api = trpcClient(urlA, token);
  await api.mutate('orgs.create', { name: 'Bench Clinic', timeZone: 'America/Chicago' });
  const team = await api.mutate('teams.create', { name: 'Front Desk' });
  await api.mutate('teams.addMember', { teamId: team.id, userId: (await api.query('auth.me')).user.id });

  // The number, patient, conversation and sent messages (with carrier ids), straight into the database.
  const client = new pg.Client({ connectionString: db.url });
  // At cleanup the database is dropped WITH (FORCE): a connection still open must not crash the bench.
  client.on('error', () => {});
  await client.connect();
  const [{ orgId }] = (await client.query(`SELECT "orgId" FROM "Team" WHERE id = $1`, [team.id])).rows;
  const tag = hex(4);
  await client.query(`INSERT INTO "PhoneNumber" (id, "orgId", "teamId", e164, "carrierSid") VALUES ($1, $2, $3, '+14155550100', $4)`, [`num_${tag}`, orgId, team.id, `PN${hex(16)}`]);
  await client.query(`INSERT INTO "Patient" (id, "orgId", phone) VALUES ($1, $2, '+14155550199')`, [`pat_${tag}`, orgId]);
  await client.query(`INSERT INTO "Conversation" (id, "orgId", "teamId", kind, "phoneNumberId", "patientId") VALUES ($1, $2, $3, 'sms', $4, $5)`, [`conv_${tag}`, orgId, team.id, `num_${tag}`, `pat_${tag}`]);
  const seed = async (count, prefix) => {
    const ids = Array.from({ length: count }, (_, i) => `${prefix}_${i}_${hex(4)}`);
    const sids = ids.map(() => `SM${hex(16)}`);
    for (let i = 0; i < count; i += 5000) {
      await client.query(
        `INSERT INTO "Message" (id, "orgId", "conversationId", direction, channel, body, status, "statusRank", "fromNumber", "toNumber", "carrierSid", "sentAt")
         SELECT v.id, $1, $2, 'outbound', 'sms', 'Reminder', 'sent', 2, '+14155550100', '+14155550199', v.sid, now() FROM unnest($3::text[], $4::text[]) AS v(id, sid)`,
        [orgId, `conv_${tag}`, ids.slice(i, i + 5000), sids.slice(i, i + 5000)],
      );
    }
    return { ids, sids };
  };
  const warm = await seed(WARMUP + 1, 'warm');
  const measured = await seed(Math.round(RATE * SECONDS), 'bench');

  // Each message gets one "delivered" callback, so each expects exactly one message.updated.
  const index = new Map();
  warm.ids.forEach((id) => index.set(id, -1));
  measured.ids.forEach((id, i) => index.set(id, i));
  const sentAt = new Float64Array(measured.ids.length);
  const receivedAt = new Float64Array(measured.ids.length).fill(NaN);
  let warmSeen = 0;
  let duplicates = 0;
  let resyncs = 0;
  let otherEvents = 0;
  // The live inbox stream as a client holds it (tRPC SSE, the session's bearer token).
  const stream = await subscribeEvents(urlA, token, 'conversations.events', (event, at) => {
    if (event.type === 'resync') return void resyncs++;
    const i = event.type === 'message.updated' && event.message?.status === 'delivered' ? index.get(event.message.id) : undefined;
    if (i === undefined) return void otherEvents++;
    if (i === -1) return void warmSeen++;
    if (Number.isNaN(receivedAt[i])) receivedAt[i] = at;
    else duplicates++;
  });

  const agent = new Agent({ keepAlive: true, maxSockets: 128 });
  const signedUrl = PUBLIC_URL + PATH;
  const answers = {};
  const prepared = (sid) => {
    const params = { AccountSid: accountSid, ApiVersion: '2010-04-01', From: '+14155550100', To: '+14155550199', MessageSid: sid, SmsSid: sid, MessageStatus: 'delivered', SmsStatus: 'delivered' };
    return { body: new URLSearchParams(params).toString(), signature: twilio.getExpectedTwilioSignature(authToken, signedUrl, params) };
  };
  const postToB = ({ body, signature }) =>
    new Promise((resolve) => {
      const req = request({ host: '127.0.0.1', port: portB, path: PATH, method: 'POST', agent, headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body), 'x-twilio-signature': signature } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      });
      req.on('error', (error) => resolve(`error:${error.code ?? error.message}`));
      req.end(body);
    });
  const until = async (probe, ms, what) => {
    const deadline = Date.now() + ms;
    while (!probe()) {
      if (stream.state.ended) throw new Error(`A's live stream ended: ${stream.state.ended}`);
      if (Date.now() > deadline) throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  // The stream is open and subscribed: one callback to B comes back on A. Then the warm-up
  // (not measured), 16 at a time, until every one came back.
  if ((await postToB(prepared(warm.sids[0]))) !== 204) throw new Error('B refused the first callback');
  await until(() => warmSeen >= 1, 30_000, "the first callback's event on A");
  const warmPrepared = warm.sids.slice(1).map(prepared);
  for (let i = 0; i < warmPrepared.length; i += 16) await Promise.all(warmPrepared.slice(i, i + 16).map(postToB));
  await until(() => warmSeen >= warm.ids.length, 30_000, 'the warm-up events on A');
  console.log(`subscribed on A (${urlA}), webhooks to B (port ${portB}); warmed up with ${int(warm.ids.length)} callbacks`);

  // Open loop: callback i leaves at start + i / rate, whatever the servers do.
  const prepared2 = measured.sids.map(prepared);
  const answerMs = new Float64Array(prepared2.length);
  const cpu0 = [a.cpuSeconds(), b.cpuSeconds()];
  const started = performance.now();
  let next = 0;
  let pending = prepared2.length;
  await new Promise((resolve) => {
    const fire = (i) => {
      sentAt[i] = performance.now();
      postToB(prepared2[i]).then((code) => {
        answers[code] = (answers[code] ?? 0) + 1;
        answerMs[i] = performance.now() - sentAt[i];
        if (--pending === 0) resolve();
      });
    };
    const tick = () => {
      const due = Math.min(prepared2.length, Math.floor(((performance.now() - started) / 1000) * RATE) + 1);
      while (next < due) fire(next++);
      if (next < prepared2.length) setTimeout(tick, 1);
    };
    tick();
  });
  const sendSeconds = (performance.now() - started) / 1000;
  const countReceived = () => receivedAt.reduce((n, t) => n + (Number.isNaN(t) ? 0 : 1), 0);
  await until(() => countReceived() === receivedAt.length, DRAIN_MS, 'every event on A').catch((error) => console.log(`  ${error.message}`));
  const cpu = [a.cpuSeconds() - cpu0[0], b.cpuSeconds() - cpu0[1]];
  stream.close();
  agent.destroy();

  const latencies = [];
  // The event path alone: from B's answer (the callback stored) to the event on A.
  const afterAnswer = [];
  for (let i = 0; i < receivedAt.length; i++) {
    if (Number.isNaN(receivedAt[i])) continue;
    latencies.push(receivedAt[i] - sentAt[i]);
    afterAnswer.push(receivedAt[i] - (sentAt[i] + answerMs[i]));
  }
  latencies.sort((x, y) => x - y);
  afterAnswer.sort((x, y) => x - y);
  const answerSorted = [...answerMs].sort((x, y) => x - y);
  const [{ n: deliveredInDb }] = (await client.query(`SELECT count(*)::int AS n FROM "Message" WHERE status = 'delivered' AND id = ANY($1::text[])`, [measured.ids])).rows;
  await client.end();
  const expected = measured.ids.length;
  const noneLost = latencies.length === expected && duplicates === 0 && deliveredInDb === expected && (answers[204] ?? 0) === expected;
  console.log(`${int(expected)} callbacks to B at ${int(RATE)}/s offered (${round(expected / sendSeconds, 0)}/s achieved); answers ${JSON.stringify(answers)}, B answered p50 ${percentile(answerSorted, 50)} p99 ${percentile(answerSorted, 99)} ms`);
  console.log(`events on A: ${int(latencies.length)} of ${int(expected)} (${duplicates} duplicates, ${resyncs} resyncs); webhook to B -> event on A: p50 ${percentile(latencies, 50)} ms, p90 ${percentile(latencies, 90)} ms, p99 ${percentile(latencies, 99)} ms, max ${round(latencies.at(-1) ?? NaN, 1)} ms`);
  console.log(`event on A after B's answer: p50 ${percentile(afterAnswer, 50)} ms, p99 ${percentile(afterAnswer, 99)} ms (the event path alone, without B's ingest)`);
  console.log(`${int(deliveredInDb)} of ${int(expected)} messages delivered in the database -> ${noneLost ? 'none lost' : 'LOST OR WRONG'}; server CPU A ${round(cpu[0], 2)} s, B ${round(cpu[1], 2)} s`);
  Object.assign(result, {
    value: percentile(latencies, 99),
    rate: RATE,
    achievedRate: round(expected / sendSeconds, 0),
    seconds: round(sendSeconds, 2),
    p50Ms: percentile(latencies, 50),
    p90Ms: percentile(latencies, 90),
    p99Ms: percentile(latencies, 99),
    maxMs: round(latencies.at(-1) ?? NaN, 1),
    delivered: latencies.length,
    expected,
    duplicates,
    resyncs,
    otherEvents,
    webhookAnswers: answers,
    webhookP99Ms: percentile(answerSorted, 99),
    afterAnswerP50Ms: percentile(afterAnswer, 50),
    afterAnswerP99Ms: percentile(afterAnswer, 99),
    deliveredInDb,
    noneLost,
    serverCpuSeconds: { a: round(cpu[0], 2), b: round(cpu[1], 2) },
    db: 'postgres',
    loadAverageAfter: machine().loadAverage,
    ok: noneLost && percentile(latencies, 99) < TARGET.p99Ms,
  });
}

main()
  .catch((error) => {
    console.error(`events bench failed: ${error.stack ?? error}`);
    result.errors = { run: String(error.message ?? error) };
    process.exitCode = 1;
  })
  .finally(async () => {
    await cleanup();
    console.log(JSON.stringify(result));
  });
