// Send pacing per number (issue 11): N processes of the built server on one scratch PostgreSQL
// database send one number's queued messages through one shared carrier (the Twilio simulator,
// in this process, on the real clock). Measured at the carrier, from when each message arrived:
// the achieved rate over the run against the number's configured messages/second (rateRatio),
// and the busiest one-second window against it (busiestWindowRatio; issue target <= 1.05).
//   pnpm bench pacing [--rate 20] [--messages 300] [--instances 1,2]
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { cleanup, cleanupOnSignals, freePort, machine, onCleanup, poll, round, scratchPostgres, serverDependency, serverModule, startServerProcess } from '../_lib/server.mjs';

const { values: args } = parseArgs({
  options: {
    rate: { type: 'string', default: '20' },
    messages: { type: 'string', default: '300' },
    instances: { type: 'string', default: '1,2' },
  },
});
const RATE = Number(args.rate);
const COUNT = Number(args.messages);
const INSTANCES = args.instances.split(',').map(Number);
const TARGET = { busiestWindowRatio: 1.05, rateRatioAtLeast: 0.95 };

cleanupOnSignals();
const result = { bench: 'pacing', value: null, unit: 'busiest 1 s window / configured rate', target: TARGET.busiestWindowRatio, ok: false, rate: RATE, messages: COUNT, runs: [] };
const hex = (n) => randomBytes(n).toString('hex');

async function run(instances) {
  const { default: express } = await serverDependency('express');
  const { createSimulatorCredentials, createTwilioSimulator } = await serverModule('carriers/simulator/twilio-simulator.js');
  const { openDatabase } = await serverModule('db/database.js');
  const credentials = createSimulatorCredentials();
  const simulator = createTwilioSimulator({ ...credentials, deliver: 'manual', log: () => {} });
  const app = express();
  app.use('/twilio', simulator.router);
  const carrier = app.listen(0, '127.0.0.1');
  await once(carrier, 'listening');
  onCleanup(() => (simulator.stop(), new Promise((resolve) => carrier.close(resolve))));

  const scratch = await scratchPostgres('ct_bench_pacing_');
  const env = {
    DATABASE_URL: scratch.url,
    PUBLIC_URL: 'http://127.0.0.1:9', // no callbacks: only what reached the carrier counts
    TWILIO_ACCOUNT_SID: credentials.accountSid,
    TWILIO_AUTH_TOKEN: credentials.authToken,
    TWILIO_API_BASE: `http://127.0.0.1:${carrier.address().port}/twilio`,
  };
  const servers = [];
  for (let i = 0; i < instances; i++) servers.push(await startServerProcess({ ...env, PORT: String(await freePort()) }, { label: `instance ${i + 1}` }));

  const db = await openDatabase({ kind: 'postgres', url: scratch.url, poolSize: 2 });
  onCleanup(() => db.close());
  const e164 = '+14155552201';
  const patientPhone = '+14155553201';
  const numberSid = `PN${hex(16)}`;
  simulator.registerNumber({ phoneNumber: e164, sid: numberSid });
  const org = await db.prisma.org.create({ data: { name: 'Bench Clinic', joinCode: `BENCH-${hex(3)}`, plan: 'sms', smsEnabled: true } });
  const team = await db.prisma.team.create({ data: { orgId: org.id, name: 'Front Desk' } });
  const number = await db.prisma.phoneNumber.create({ data: { orgId: org.id, teamId: team.id, e164, carrierSid: numberSid, messagesPerSecond: RATE } });
  const patient = await db.prisma.patient.create({ data: { orgId: org.id, firstName: 'Amina', phone: patientPhone, phoneLineType: 'mobile' } });
  const conversation = await db.prisma.conversation.create({ data: { orgId: org.id, teamId: team.id, kind: 'sms', phoneNumberId: number.id, patientId: patient.id } });
  const queue = (count, body) =>
    db.prisma.message.createMany({
      data: Array.from({ length: count }, (_, i) => ({
        orgId: org.id, conversationId: conversation.id, direction: 'outbound', channel: 'sms', body: `${body} ${i}`,
        status: 'queued', fromNumber: e164, toNumber: patientPhone, createdAt: new Date(Date.now() + i),
      })),
    });
  // Each process's first carrier calls are slow (connections, code run for the first time) and
  // reach the carrier late, bunched with the next: a warm-up round, not measured.
  const WARM_UP = 3 * RATE;
  await queue(WARM_UP, 'Warm-up');
  await poll(async () => simulator.messages().filter((m) => m.body.startsWith('Warm-up')).length >= WARM_UP || null, { everyMs: 500, timeoutMs: 120_000, what: 'the warm-up messages' });
  await queue(COUNT, 'Reminder');
  console.log(`${instances} instance(s): ${COUNT} messages queued from one number at ${RATE}/s (at least ${round((COUNT - 1) / RATE, 1)} s)`);
  const sentOf = () => simulator.messages().filter((m) => m.direction === 'outbound-api' && m.body.startsWith('Reminder'));
  await poll(async () => sentOf().length >= COUNT || null, { everyMs: 1000, timeoutMs: (COUNT / RATE) * 4000 + 60_000, what: `${COUNT} messages at the carrier` });
  await new Promise((r) => setTimeout(r, 1000)); // anything sent twice would show up now
  const sent = sentOf();
  const times = sent.map((m) => m.dateCreated.getTime()).sort((a, b) => a - b);
  let busiest = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (j < times.length && times[j] < times[i] + 1000) j++;
    busiest = Math.max(busiest, j - i);
  }
  const requeued = servers.reduce((n, s) => n + (s.output().match(/after its slot; queued again/g) ?? []).length, 0); // warm-up included
  const byInstance = await db.sql.query(`SELECT count(*)::int AS n FROM "Message" WHERE body LIKE 'Reminder %' GROUP BY "claimedBy" ORDER BY 1 DESC`);
  const achieved = (times.length - 1) / ((times.at(-1) - times[0]) / 1000);
  const figures = {
    instances,
    achievedPerSecond: round(achieved),
    rateRatio: round(achieved / RATE, 3),
    busiestWindow: busiest,
    busiestWindowRatio: round(busiest / RATE, 3),
    atCarrier: sent.length,
    duplicates: sent.length - new Set(sent.map((m) => m.body)).size,
    queuedAgainLate: requeued,
    sentByInstance: byInstance.map((r) => r.n),
  };
  console.log(JSON.stringify(figures));
  for (const server of servers) await server.stop();
  return figures;
}

async function main() {
  result.machine = machine();
  console.log(`machine: ${result.machine.cores} CPUs, load average ${result.machine.loadAverage.join(' ')} (late wake-ups on a busy machine lower rateRatio, never raise the busiest window)`);
  for (const instances of INSTANCES) result.runs.push(await run(instances));
  result.value = Math.max(...result.runs.map((r) => r.busiestWindowRatio));
  result.ok = result.runs.every((r) => r.busiestWindowRatio <= TARGET.busiestWindowRatio && r.rateRatio >= TARGET.rateRatioAtLeast && r.duplicates === 0 && r.atCarrier === COUNT);
  result.loadAverageAfter = machine().loadAverage;
}

main()
  .catch((error) => {
    result.errors = [error.message];
    process.exitCode = 1;
  })
  .finally(async () => {
    await cleanup();
    console.log(JSON.stringify(result));
  });
