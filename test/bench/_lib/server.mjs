// Helpers shared by benches: the built server's modules, a scratch database, a small tRPC
// client over fetch, timing and memory sampling, server processes. Benches import the BUILT server (server/dist).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer as createNetServer } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const SERVER = path.join(ROOT, 'server');

/** A module of the built server, e.g. serverModule('server.js'). */
export function serverModule(file) {
  return import(pathToFileURL(path.join(SERVER, 'dist', file)).href);
}

/** A dependency of the server package (pg, ...), resolved the way the server resolves it. */
export function serverDependency(name) {
  const require = createRequire(path.join(SERVER, 'package.json'));
  return import(pathToFileURL(require.resolve(name)).href);
}

export const ADMIN_DATABASE_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Things to undo at exit, in reverse order; also run on SIGINT/SIGTERM. Idempotent. */
const cleanups = [];
let cleaning = null;
export function onCleanup(fn) {
  cleanups.push(fn);
}
export function cleanup() {
  cleaning ??= (async () => {
    while (cleanups.length) {
      const fn = cleanups.pop();
      try {
        await fn();
      } catch (error) {
        console.error(`cleanup: ${error.message}`);
      }
    }
  })();
  return cleaning;
}
/** Ctrl-C / kill: undo everything registered with onCleanup, then exit. */
export function cleanupOnSignals() {
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      console.error(`\n${signal}: cleaning up...`);
      const force = setTimeout(() => process.exit(130), 30_000);
      force.unref();
      cleanup().finally(() => process.exit(130));
    });
  }
}

export function tempDir(prefix) {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A new PostgreSQL database on the admin server, dropped at cleanup. Returns its URL. */
export async function scratchPostgres(prefix = 'ct_bench_') {
  const { default: pg } = await serverDependency('pg');
  const name = `${prefix}${randomBytes(5).toString('hex')}`;
  const run = async (sql) => {
    const client = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  try {
    await run(`CREATE DATABASE ${name}`);
  } catch (error) {
    throw new Error(`cannot create a scratch database on ${safeUrl(ADMIN_DATABASE_URL)} (set BENCH_DATABASE_URL): ${error.message}`);
  }
  onCleanup(() => run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${name}`;
  return { name, url: url.toString() };
}

function safeUrl(value) {
  try {
    const u = new URL(value);
    return `${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return '(unparseable url)';
  }
}

/** Minimal tRPC (v11, superjson transformer) client: no batching, JSON-only inputs. */
export function trpcClient(baseUrl, token = null) {
  const headers = () => ({ 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) });
  const unwrap = async (pathName, res) => {
    const body = await res.json().catch(() => null);
    if (!body || body.error) throw new Error(`${pathName}: ${body?.error?.json?.message ?? `HTTP ${res.status}`}`);
    return body.result.data.json;
  };
  return {
    token,
    query: async (pathName, input) =>
      unwrap(pathName, await fetch(`${baseUrl}/trpc/${pathName}${input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify({ json: input }))}`}`, { headers: headers() })),
    mutate: async (pathName, input) => unwrap(pathName, await fetch(`${baseUrl}/trpc/${pathName}`, { method: 'POST', headers: headers(), body: JSON.stringify({ json: input ?? null }) })),
  };
}

export const seconds = (ms) => Math.round(ms) / 1000;
export const round = (n, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;
export const mb = (bytes) => Math.round(bytes / 1024 / 102.4) / 10;
export const int = (n) => n.toLocaleString('en-US');

/**
 * Samples this process's RSS every `everyMs`; keeps the overall peak and the peak per named
 * phase, with what made up each phase's peak (V8 heap used and reserved, memory outside the heap).
 */
export function rssSampler(everyMs = 20) {
  return peakSampler(() => {
    const rss = process.memoryUsage.rss();
    return {
      rss,
      details: () => {
        const m = process.memoryUsage();
        return { rssMb: mb(rss), heapUsedMb: mb(m.heapUsed), heapTotalMb: mb(m.heapTotal), externalMb: mb(m.external), arrayBuffersMb: mb(m.arrayBuffers) };
      },
    };
  }, everyMs);
}

/** Resident memory of another process (Linux /proc/<pid>/status), in bytes: VmRSS, and its anonymous and file-backed parts. */
export function processRss(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) * 1024;
    return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile'), hwm: kb('VmHWM') };
  } catch {
    return null;
  }
}

/** rssSampler's interface for another process (a server started with startServerProcess): its RSS from /proc. */
export function processRssSampler(pid, everyMs = 20) {
  return peakSampler(() => {
    const m = processRss(pid);
    return m && { rss: m.rss, details: () => ({ rssMb: mb(m.rss), anonMb: mb(m.anon), fileMb: mb(m.file) }) };
  }, everyMs);
}

/** Peaks of what `read` answers ({ rss, details() } or null), overall and per named phase. */
function peakSampler(read, everyMs) {
  let phase = 'start';
  const peaks = {};
  const details = {};
  let peak = 0;
  const sample = () => {
    const m = read();
    if (!m) return;
    if (m.rss > peak) peak = m.rss;
    if (m.rss > (peaks[phase] ?? 0)) {
      peaks[phase] = m.rss;
      details[phase] = m.details();
    }
  };
  const timer = setInterval(sample, everyMs);
  timer.unref();
  sample();
  return {
    phase(name) {
      sample();
      phase = name;
      sample();
    },
    peakOf: (...names) => Math.max(0, ...names.map((n) => peaks[n] ?? 0)),
    get peak() {
      return peak;
    },
    stop() {
      sample();
      clearInterval(timer);
      return { peak, peaks, details };
    },
  };
}

/**
 * A tRPC SSE subscription as the web app holds it (`procedure`, e.g. 'orgs.events', superjson),
 * with a bearer token: `onEvent(event, at)` for each event (`at`: performance.now() when its bytes
 * arrived). Resolves once the stream is open.
 */
export async function subscribeEvents(baseUrl, token, procedure, onEvent) {
  const controller = new AbortController();
  const input = encodeURIComponent(JSON.stringify({ json: {} }));
  const res = await fetch(`${baseUrl}/trpc/${procedure}?input=${input}`, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, signal: controller.signal });
  if (!res.ok || !res.body) throw new Error(`${procedure} answered ${res.status}: ${await res.text().catch(() => '')}`);
  let opened;
  const open = new Promise((resolve) => (opened = resolve));
  const state = { ended: null };
  (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body) {
        const at = performance.now();
        buffer += decoder.decode(chunk, { stream: true });
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let type = 'message';
          let data = '';
          for (const line of block.split('\n')) {
            if (line.startsWith('event:')) type = line.slice(6).trim();
            else if (line.startsWith('data:')) data += line.slice(5).trimStart();
          }
          if (type === 'connected') opened();
          else if (type === 'message' && data) onEvent(JSON.parse(data).json, at);
          else if (type === 'serialized-error') state.ended = `error: ${data}`;
        }
      }
      state.ended ??= 'stream ended';
    } catch (error) {
      if (error.name !== 'AbortError') state.ended = `stream failed: ${error.message}`;
    }
  })();
  await open;
  return { close: () => controller.abort(), state };
}

/** Polls `probe` until it returns a value or the deadline passes. */
export async function poll(probe, { everyMs = 50, timeoutMs, what }) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * A new account as a newcomer makes one on a demo server: sign up, read the confirmation on the
 * Dev mailbox with the grant cookie the sign-up set, open the link. Returns a bearer token.
 */
export async function signUpAndConfirm(baseUrl, who) {
  const res = await fetch(`${baseUrl}/trpc/auth.signUp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ json: { ...who, client: 'extension' } }),
  });
  if (!res.ok) throw new Error(`sign-up answered ${res.status}`);
  const grant = /caretext_signup_mail=[^;]+/.exec(res.headers.get('set-cookie') ?? '')?.[0];
  if (!grant) throw new Error('sign-up set no Dev mailbox grant (are demo tools on?)');
  const input = encodeURIComponent(JSON.stringify({ json: { limit: 10 } }));
  const link = await poll(
    async () => {
      const list = await (await fetch(`${baseUrl}/trpc/devMailbox.list?input=${input}`, { headers: { cookie: grant } })).json();
      return (list.result?.data?.json ?? []).map((m) => /\/confirm-email\/([A-Za-z0-9_-]+)/.exec(m.text)?.[1]).find(Boolean) ?? null;
    },
    { timeoutMs: 15_000, what: `the confirmation mail to ${who.email}` },
  );
  return (await trpcClient(baseUrl).mutate('auth.confirmSignUp', { token: link, client: 'extension' })).token;
}

/** A free TCP port on loopback (for a server process started with PORT). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createNetServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/**
 * How the README ("Scaling out") and `pnpm start` run the server: glibc's malloc returns large
 * freed blocks to the system (without it, each thread that hashed a password keeps scrypt's 16 MB),
 * and V8's young generation stays at 2 x 4 MB. Memory figures are for this configuration.
 */
export const SERVER_NODE_ARGS = ['--max-semi-space-size=4'];
export const SERVER_ENV = { MALLOC_MMAP_THRESHOLD_: '131072' };

/**
 * The built server (`node server/dist/main.js`) as a child process with only `env` (and PATH),
 * started as SERVER_NODE_ARGS and SERVER_ENV say; resolves once it prints that it is running, and stops it
 * (SIGTERM) at cleanup. BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles it;
 * BENCH_SERVER_ENV="NAME=value ..." adds to its environment.
 */
export async function startServerProcess(env, { label = 'server', timeoutMs = 60_000 } = {}) {
  const nodeArgs = [...SERVER_NODE_ARGS, ...(process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean)];
  const extraEnv = Object.fromEntries((process.env.BENCH_SERVER_ENV ?? '').split(' ').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  const child = spawn(process.execPath, [...nodeArgs, 'server/dist/main.js'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOST: '127.0.0.1', SEED_DEMO: '0', LOG_LEVEL: 'warn', ...SERVER_ENV, ...extraEnv, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  onCleanup(() => new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : (child.once('exit', resolve), child.kill('SIGTERM')))));
  const deadline = Date.now() + timeoutMs;
  while (!output.includes('CareText is running at')) {
    const exited = child.exitCode ?? child.signalCode;
    if (exited !== null || Date.now() > deadline) throw new Error(`${label} did not start (${exited !== null ? `exited: ${exited}` : `not running after ${timeoutMs / 1000} s`}):\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    child,
    pid: child.pid,
    output: () => output,
    /** CPU seconds (user + system) the process used so far, from /proc (Linux); null elsewhere. */
    cpuSeconds: () => processCpuSeconds(child.pid),
    stop: () => new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : (child.once('exit', resolve), child.kill('SIGTERM')))),
  };
}

/** CPU seconds (user + system) of a process, from /proc/<pid>/stat; null when unreadable. */
export function processCpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return null;
  }
}

/** The machine's busy share of all cores between two readings of /proc/stat (null elsewhere). */
export function machineCpu() {
  const read = () => {
    try {
      const [cpu] = readFileSync('/proc/stat', 'utf8').split('\n');
      const n = cpu.split(/\s+/).slice(1).map(Number);
      const idle = n[3] + (n[4] ?? 0);
      return { idle, total: n.reduce((a, b) => a + b, 0) };
    } catch {
      return null;
    }
  };
  const first = read();
  return () => {
    const now = read();
    if (!first || !now || now.total === first.total) return null;
    return round(1 - (now.idle - first.idle) / (now.total - first.total), 2);
  };
}

/** Load average (1, 5, 15 min) and cores, for the JSON line: figures on a busy machine are pessimistic. */
export function machine() {
  return { loadAverage: loadavg().map((n) => round(n, 2)), cores: availableParallelism() };
}
