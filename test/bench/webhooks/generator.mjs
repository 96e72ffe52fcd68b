// One load-generator thread of the webhooks bench (a worker_thread started by index.mjs; not a
// bench by itself). Each step, worker w of W builds the same callback list from the step's
// message ids, signs its share (requests i with i % W === w) against PUBLIC_URL, and, once told
// when to start, sends request i at start + i / rate to instance i % N (open loop, like Twilio:
// whatever the servers do), then reports each request's latency, the answers, how late it sent
// (send lag: a generator that cannot keep up shows here first) and its event-loop utilization.
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';
import { serverDependency } from '../_lib/server.mjs';

const { default: twilio } = await serverDependency('twilio');
const { accountSid, authToken, publicUrl, targets, index, workers } = workerData;
const PATH = '/webhooks/twilio/status';
const signedUrl = publicUrl + PATH;
// One keep-alive pool per instance; 256 sockets each, as the single-process bench had. New pools
// for each step: a socket left idle between steps can be closed by the server (its keep-alive
// timeout) just as it is reused, which would count as a refused callback.
let agents = [];
const freshAgents = () => {
  for (const agent of agents) agent.destroy();
  agents = targets.map(() => new Agent({ keepAlive: true, maxSockets: 256 }));
};
freshAgents();

const paramsFor = (sid, status) => ({ AccountSid: accountSid, ApiVersion: '2010-04-01', From: '+14155550100', To: '+14155550199', MessageSid: sid, SmsSid: sid, MessageStatus: status, SmsStatus: status });

/** Every message is sent then delivered; `duplicates` of the callbacks are repeated afterwards (Twilio retries, out of order). */
function callbackList(sids, duplicates) {
  const list = [];
  for (const sid of sids) for (const status of ['sent', 'delivered']) list.push({ sid, status });
  const repeats = Math.round(list.length * duplicates);
  for (let i = 0; i < repeats; i++) list.push(list[(i * 7919) % list.length]);
  return { list, repeats };
}

function post(target, agent, body, signature) {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: target.host, port: target.port, path: PATH, method: 'POST', agent, headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body), 'x-twilio-signature': signature } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function prepare(sids, duplicates) {
  const { list } = callbackList(sids, duplicates);
  const mine = [];
  for (let i = index; i < list.length; i += workers) {
    const params = paramsFor(list[i].sid, list[i].status);
    mine.push({ i, body: new URLSearchParams(params).toString(), signature: twilio.getExpectedTwilioSignature(authToken, signedUrl, params) });
  }
  return { mine, total: list.length };
}

/** Closed loop, `concurrency` at a time, for unknown message ids: warms every instance's hot path. */
async function warm(count, concurrency) {
  let next = 0;
  const one = async () => {
    while (next < count) {
      const i = next++;
      const sid = `SMwarm${randomBytes(13).toString('hex')}`;
      const params = { AccountSid: accountSid, ApiVersion: '2010-04-01', MessageSid: sid, SmsSid: sid, MessageStatus: 'sent', SmsStatus: 'sent' };
      const t = i % targets.length;
      await post(targets[t], agents[t], new URLSearchParams(params).toString(), twilio.getExpectedTwilioSignature(authToken, signedUrl, params)).catch(() => {});
    }
  };
  await Promise.all(Array.from({ length: concurrency }, one));
}

async function run({ startAt, rate }, prepared) {
  const { mine, total } = prepared;
  const latencies = new Float64Array(mine.length);
  const lags = new Float64Array(mine.length);
  const answers = {};
  const count = (key) => (answers[key] = (answers[key] ?? 0) + 1);
  // Epoch milliseconds from the main thread, on this thread's clock.
  const start = startAt - performance.timeOrigin;
  const elu0 = performance.eventLoopUtilization();
  let next = 0;
  let pending = mine.length;
  let lastSent = 0;
  await new Promise((resolve) => {
    if (!pending) return resolve();
    const fire = (k) => {
      const { i, body, signature } = mine[k];
      const t0 = performance.now();
      lags[k] = t0 - (start + (i / rate) * 1000);
      lastSent = t0;
      post(targets[i % targets.length], agents[i % targets.length], body, signature)
        .then(count, (error) => count(`error:${error.code ?? error.message}`))
        .finally(() => {
          latencies[k] = performance.now() - t0;
          if (--pending === 0) resolve();
        });
    };
    const tick = () => {
      const now = performance.now();
      // Requests due by now (global index), i.e. mine with i < due.
      const due = Math.min(total, Math.floor(((now - start) / 1000) * rate) + 1);
      while (next < mine.length && mine[next].i < due) fire(next++);
      if (next < mine.length) setTimeout(tick, Math.max(0, Math.min(1, start + (mine[next].i / rate) * 1000 - now)));
    };
    setTimeout(tick, Math.max(0, start - performance.now()));
  });
  const elu = performance.eventLoopUtilization(elu0);
  return { latencies, lags, answers, firstAt: start, lastSentAt: lastSent, endedAt: performance.now(), elu: elu.utilization, timeOrigin: performance.timeOrigin };
}

let prepared = null;
parentPort.on('message', async (msg) => {
  try {
    if (msg.cmd === 'warm') {
      await warm(msg.count, msg.concurrency);
      parentPort.postMessage({ ok: true });
    } else if (msg.cmd === 'prepare') {
      freshAgents();
      prepared = prepare(msg.sids, msg.duplicates);
      parentPort.postMessage({ ok: true, requests: prepared.mine.length });
    } else if (msg.cmd === 'run') {
      const out = await run(msg, prepared);
      prepared = null;
      parentPort.postMessage({ ok: true, ...out }, [out.latencies.buffer, out.lags.buffer]);
    } else if (msg.cmd === 'close') {
      for (const agent of agents) agent.destroy();
      parentPort.postMessage({ ok: true });
    }
  } catch (error) {
    parentPort.postMessage({ ok: false, error: String(error.stack ?? error) });
  }
});
