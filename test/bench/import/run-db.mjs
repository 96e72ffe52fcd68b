// One database's run of the import bench: the built server, a directory seeded with `existing`
// patients, the messy CSV imported over HTTP exactly as the web app does (upload -> dry run ->
// confirm -> apply), its counts checked, and the raw-INSERT and raw-COPY baselines.
// PostgreSQL: the server is its own process (`node server/dist/main.js`, as in production), so
// its RSS and CPU (from /proc) are the server's alone, not this bench's generator and
// expectations. PGlite, and PostgreSQL with --in-process: the server runs in this process (the
// database is in-process on PGlite; in-process, the SQL breakdown per statement kind is measured).
import { randomUUID } from 'node:crypto';
import { openAsBlob, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Worker } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { freePort, int, mb, onCleanup, poll, processCpuSeconds, processRss, processRssSampler, round, rssSampler, scratchPostgres, seconds, serverDependency, serverModule, signUpAndConfirm, startServerProcess, subscribeEvents, tempDir, trpcClient } from '../_lib/server.mjs';
import { existingPatientRows, rng, writeMessyCsv } from './generate.mjs';

const STATEMENT_ROWS = 1000;

/** Times every raw SQL statement the server runs through db.sql / db.transaction, by kind and phase. */
function instrument(db) {
  const raw = db.sql;
  const rawTransaction = db.transaction;
  const stats = {};
  let phase = 'setup';
  const add = (kind, ms) => {
    const byKind = (stats[phase] ??= {});
    const s = (byKind[kind] ??= { n: 0, ms: 0 });
    s.n += 1;
    s.ms += ms;
  };
  const classify = (text) => {
    if (text.includes('FROM "ImportChunk"')) return 'read file chunk';
    if (text.includes('INSERT INTO "ImportChunk"')) return 'store file chunk';
    if (text.trimStart().startsWith('SELECT') && text.includes('FROM "Patient"')) return 'match lookup (SELECT)';
    if (text.startsWith('INSERT INTO "Patient"')) return 'insert patients';
    if (text.startsWith('UPDATE "Patient"')) return 'update patients';
    if (text.includes('"ImportRowIssue"')) return 'row issues';
    if (text.includes('"ImportStage"')) return 'staging table setup';
    if (text.includes('"ImportMemory"')) return 'import memory';
    if (text.includes('SAVEPOINT')) return 'savepoint';
    if (text.includes('FOR UPDATE') && text.includes('"ImportJob"')) return 'job lock (SELECT FOR UPDATE)';
    if (text.includes('"ImportJob"')) return 'job progress/bookkeeping';
    return 'other';
  };
  const marks = {};
  const wrap = (runner) => ({
    query: async (text, params) => {
      const t = performance.now();
      // The dry run (ImportRunner.analyze) starts by clearing the job's row issues.
      if (text.startsWith('DELETE FROM "ImportRowIssue"')) {
        phase = 'dryRun';
        marks.dryRunStart ??= t;
      }
      try {
        return await runner.query(text, params);
      } finally {
        add(classify(text), performance.now() - t);
      }
    },
  });
  db.sql = wrap(raw);
  db.transaction = (fn) => {
    const t = performance.now();
    let inner = 0;
    return rawTransaction((tx) => {
      const w = wrap(tx);
      const timed = (kind, run) => async (...args) => {
        const s = performance.now();
        try {
          return await run(...args);
        } finally {
          inner += performance.now() - s;
          if (kind) add(kind, performance.now() - s);
        }
      };
      // copyCsv passed on (when the backend has it): without it the import takes its INSERT path.
      return fn({
        query: timed(null, (text, params) => w.query(text, params)),
        ...(tx.copyCsv ? { copyCsv: timed('copy patients (COPY)', (table, columns, csv) => tx.copyCsv(table, columns, csv)) } : {}),
      });
    }).finally(() => add('transaction BEGIN/COMMIT', performance.now() - t - inner));
  };
  // The import's batches: a session whose write is one query (TRUNCATE + COPY into the staging
  // table, then the statement that writes the batch; one round trip on PostgreSQL).
  const rawSession = db.session;
  db.session = (fn) =>
    rawSession((s) => {
      const w = wrap(s);
      return fn({
        ...s,
        query: (text, params) => w.query(text, params),
        copyCsvThenQuery: async (...args) => {
          const t = performance.now();
          try {
            return await s.copyCsvThenQuery(...args);
          } finally {
            add('write batch (TRUNCATE + COPY, then INSERT/UPDATE ... FROM stage + memory + progress)', performance.now() - t);
          }
        },
      });
    });
  return {
    raw,
    rawTransaction,
    marks,
    setPhase(name) {
      phase = name;
    },
    report(name) {
      const byKind = stats[name] ?? {};
      return Object.fromEntries(Object.entries(byKind).sort((a, b) => b[1].ms - a[1].ms).map(([k, v]) => [k, { n: v.n, seconds: round(v.ms / 1000, 3) }]));
    },
  };
}

async function insertExisting(sql, orgId, count) {
  const now = new Date();
  for (let from = 0; from < count; from += STATEMENT_ROWS) {
    const batch = existingPatientRows(from, Math.min(STATEMENT_ROWS, count - from));
    const values = [orgId, now];
    const tuples = batch.map((p) => {
      const n = values.length;
      values.push(randomUUID(), p.mrn, p.phone, p.firstName, p.lastName, p.dob, p.email);
      return `($${n + 1}, $1, $${n + 2}, $${n + 3}, $${n + 4}, $${n + 5}, $${n + 6}, $${n + 7}, 'staff', $2, $2)`;
    });
    await sql.query(`INSERT INTO "Patient" (id, "orgId", mrn, phone, "firstName", "lastName", dob, email, source, "createdAt", "updatedAt") VALUES ${tuples.join(', ')}`, values);
  }
}

/** The baselines' rows: the same columns the import writes, deterministic. */
function baselineRows(rows, seed) {
  const r = rng(seed);
  const first = ['Ann', 'Bo', 'Cy', 'Dee', 'Eli', 'Fay'];
  const last = ['Lee', 'Kim', 'Diaz', 'Moss', 'Singh'];
  const list = [];
  for (let i = 0; i < rows; i++) {
    list.push({ id: randomUUID(), mrn: r.chance(0.7) ? `B${String(i).padStart(7, '0')}` : null, phone: `+1312${2000000 + i}`, firstName: r.pick(first), lastName: r.pick(last), dob: r.chance(0.85) ? '1980-05-17' : null, email: r.chance(0.6) ? `b${i}@patients.example.org` : null });
  }
  return list;
}

/**
 * The INSERT baseline: `rows` patients in plain multi-row INSERTs of 1,000 rows (autocommit
 * each), with the same columns and parameters as the import's INSERT, into a fresh org.
 */
async function rawInsert(sql, orgId, rows) {
  const all = baselineRows(rows, 7);
  const t = performance.now();
  for (let from = 0; from < rows; from += STATEMENT_ROWS) {
    const now = new Date();
    const values = [];
    const tuples = [];
    for (const p of all.slice(from, from + STATEMENT_ROWS)) {
      const n = values.length;
      values.push(p.id, orgId, p.mrn, p.phone, p.firstName, p.lastName, null, p.dob, p.email, [], null, null, now);
      const q = (k) => `$${n + k}`;
      tuples.push(`(${q(1)}, ${q(2)}, ${q(3)}, ${q(4)}, ${q(5)}, ${q(6)}, ${q(7)}, ${q(8)}, ${q(9)}, ${q(10)}::text[], ${q(11)}, ${q(12)}, 'import', ${q(13)}, ${q(13)})`);
    }
    await sql.query(
      `INSERT INTO "Patient" (id, "orgId", mrn, phone, "firstName", "lastName", "preferredName", dob, email, tags, location, provider, source, "createdAt", "updatedAt") VALUES ${tuples.join(', ')}`,
      values,
    );
  }
  return performance.now() - t;
}

const COPY_COLUMNS = ['id', 'orgId', 'mrn', 'phone', 'firstName', 'lastName', 'dob', 'email', 'source', 'createdAt', 'updatedAt'];

/**
 * The COPY baseline (the database's own limit for loading rows): the same number of patients
 * in ONE `COPY "Patient" ... FROM STDIN (CSV)` into a fresh org of the same table, same indexes.
 * PostgreSQL: over its own connection (pg-copy-streams); PGlite: COPY from a blob in-process.
 */
async function rawCopy(kind, { url, db }, orgId, rows) {
  const now = new Date().toISOString();
  const cell = (v) => (v === null ? '' : `"${String(v).replace(/"/g, '""')}"`);
  const csv = baselineRows(rows, 11)
    .map((p) => [p.id, orgId, p.mrn, p.phone, p.firstName, p.lastName, p.dob, p.email, 'import', now, now].map(cell).join(','))
    .join('\n');
  const columns = COPY_COLUMNS.map((c) => `"${c}"`).join(', ');
  if (kind === 'pglite') {
    const t = performance.now();
    await db.transaction((tx) => tx.copyCsv('Patient', COPY_COLUMNS, csv));
    return performance.now() - t;
  }
  const { default: pg } = await serverDependency('pg');
  const { from: copyFrom } = await serverDependency('pg-copy-streams');
  const { Readable } = await import('node:stream');
  const { pipeline } = await import('node:stream/promises');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const t = performance.now();
    await pipeline(Readable.from([csv]), client.query(copyFrom(`COPY "Patient" (${columns}) FROM STDIN WITH (FORMAT csv)`)));
    return performance.now() - t;
  } finally {
    await client.end();
  }
}

/** A full garbage collection (the flag set at run time, as `node --expose-gc` would). */
function collectGarbage() {
  v8.setFlagsFromString('--expose-gc');
  vm.runInNewContext('gc')();
}

/**
 * CPU seconds of the PostgreSQL backends serving `dbName` (Linux /proc; the server on this
 * machine), per pid: what the database itself spent, which a busy machine's wall clock hides.
 * Null when not readable (another host, no /proc).
 */
function databaseCpu(dbName) {
  if (!dbName) return null;
  const ticks = 100; // USER_HZ on Linux
  const byPid = new Map();
  try {
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        if (!cmd.startsWith('postgres: ') || !cmd.includes(` ${dbName} `)) continue;
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        byPid.set(pid, (Number(fields[11]) + Number(fields[12])) / ticks);
      } catch {
        // gone meanwhile
      }
    }
  } catch {
    return null;
  }
  return byPid;
}

/** CPU seconds the database's backends spent between two databaseCpu() snapshots (new backends counted whole). */
function databaseCpuSince(before, after) {
  if (!before || !after) return null;
  let total = 0;
  for (const [pid, s] of after) total += s - (before.get(pid) ?? 0);
  return round(total);
}

/** The bench's own connection to a server process's database (seeding, baselines, counts): no breakdown. */
function separateProbe(sql) {
  return { raw: sql, rawTransaction: null, marks: {}, setPhase() {}, report: () => ({}) };
}

async function patientCount(sql, orgId) {
  const [row] = await sql.query(`SELECT count(*)::int AS total, count(*) FILTER (WHERE source = 'import')::int AS imported FROM "Patient" WHERE "orgId" = $1`, [orgId]);
  return row;
}

/** Runs the bench on one database kind; returns that database's figures. */
export async function runImportBench(kind, { rows, existing, seed, timeoutSeconds, analyze, inProcess, log }) {
  const timeoutMs = timeoutSeconds * 1000;
  const separate = kind === 'postgres' && !inProcess;
  let rss = separate ? null : rssSampler(20);

  // The file first, so its writing does not overlap anything measured.
  const work = tempDir('ct-bench-import-');
  const csvPath = path.join(work, 'patients.csv');
  let t = performance.now();
  const expected = await writeMessyCsv(csvPath, { rows, existing, seed });
  log(`generated ${int(rows)} rows (${mb(statSync(csvPath).size)} MB) in ${seconds(performance.now() - t)} s: expect ${JSON.stringify(expected.counts)}`);

  t = performance.now();
  let db;
  let dbUrl = null;
  let dbName = null;
  let probe;
  let server = null;
  let child = null;
  let url;
  if (kind === 'pglite') {
    const { openDatabase } = await serverModule('db/database.js');
    db = await openDatabase({ kind: 'pglite', dir: path.join(work, 'data') });
  } else {
    const scratch = await scratchPostgres();
    dbUrl = scratch.url;
    dbName = scratch.name;
    log(`scratch database ${scratch.name}`);
    if (separate) {
      const { default: pg } = await serverDependency('pg');
      const pool = new pg.Pool({ connectionString: scratch.url, max: 2 });
      onCleanup(() => pool.end());
      probe = separateProbe({ query: async (text, params) => (await pool.query(text, params)).rows });
    } else {
      const { openDatabase } = await serverModule('db/database.js');
      db = await openDatabase({ kind: 'postgres', url: scratch.url });
    }
  }
  if (separate) {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    child = await startServerProcess({ DATABASE_URL: dbUrl, PUBLIC_URL: url, PORT: String(port), IMPORT_MAX_MB: '1024' }, { label: 'server' });
    rss = processRssSampler(child.pid, 20);
  } else {
    onCleanup(() => db.close());
    probe = instrument(db);
    const { loadConfig } = await serverModule('config.js');
    const { startServer } = await serverModule('server.js');
    const config = loadConfig({}, { port: 0, host: '127.0.0.1', dataDir: work, databaseUrl: null, seedDemo: false, env: 'test', importMaxBytes: 1024 * 1024 * 1024, logLevel: 'warn' });
    server = await startServer(config, { db, logger: ['error', 'warn'] });
    config.publicUrl = server.url;
    onCleanup(() => server.close());
    url = server.url;
  }
  log(`server up at ${url} (${kind}, ${separate ? `its own process, pid ${child.pid}` : 'in this process'}) in ${seconds(performance.now() - t)} s`);
  /** CPU seconds of the server so far: its process's (from /proc), or this process's. */
  const serverCpu = () => (separate ? processCpuSeconds(child.pid) : (({ user, system }) => (user + system) / 1e6)(process.cpuUsage()));
  const serverRss = () => (separate ? processRss(child.pid).rss : process.memoryUsage.rss());

  const token = await signUpAndConfirm(url, { name: 'Bench Admin', email: `bench-${randomUUID().slice(0, 8)}@clinic.example`, password: 'correct horse battery' });
  const api = trpcClient(url, token);
  const org = await api.mutate('orgs.create', { name: 'Bench Clinic', timeZone: 'America/Chicago' });

  rss.phase('seed');
  t = performance.now();
  await insertExisting(probe.raw, org.id, existing);
  if (analyze) await probe.raw.query('ANALYZE "Patient"');
  const seedMs = performance.now() - t;
  log(`seeded ${int(existing)} existing patients in ${seconds(seedMs)} s${analyze ? ' (then ANALYZE)' : ''}`);

  // The job's progress as the web app sees it (the org's live events): from a server process, its
  // orgs.events stream (what the web app holds); in this process, straight from the server's event
  // bus. Exact end times, and no polling load on the database.
  const progress = [];
  const listeners = new Set();
  const onProgress = (event, at) => {
    if (event.type !== 'import.progress') return;
    progress.push({ at, ...event });
    for (const listener of listeners) listener();
  };
  if (separate) {
    const stream = await subscribeEvents(url, token, 'orgs.events', onProgress);
    onCleanup(() => stream.close());
  } else {
    const { EventBus } = await serverModule('events/event-bus.js');
    const stopEvents = new AbortController();
    onCleanup(() => stopEvents.abort());
    (async () => {
      for await (const event of server.app.get(EventBus).subscribe(org.id, stopEvents.signal)) onProgress(event, performance.now());
    })().catch(() => {});
  }
  /**
   * Resolves at the first progress event with one of `statuses`. A poll of the job once a second
   * backs it up, as the web app's import page does (useImportJob: the progress events within a
   * status are not a read each).
   */
  const reaches = async (jobId, statuses, what) => {
    const hit = () => progress.find((e) => e.jobId === jobId && statuses.includes(e.status));
    let wake = () => {};
    const listener = () => wake();
    listeners.add(listener);
    let polledAt = performance.now();
    try {
      const event = await poll(
        async () => {
          const found = hit();
          if (found) return found;
          await new Promise((resolve) => {
            wake = resolve;
            setTimeout(resolve, Math.max(0, polledAt + 1000 - performance.now()));
          });
          const found2 = hit();
          if (found2) return found2;
          if (performance.now() - polledAt < 1000) return null;
          polledAt = performance.now();
          const job = await api.query('imports.get', { jobId });
          return statuses.includes(job.status) ? { at: performance.now(), status: job.status, polled: true } : null;
        },
        { everyMs: 0, timeoutMs, what },
      );
      return { ...event, job: await api.query('imports.get', { jobId }) };
    } finally {
      listeners.delete(listener);
    }
  };

  // Is the server still answering while it imports? GET /health latency as a client sees it,
  // from another thread (it keeps asking even while this thread, the server's, is busy).
  const prober = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     let phase = 'idle'; const max = {};
     parentPort.on('message', (m) => { if (m === 'report') parentPort.postMessage(max); else phase = m; });
     (async () => { for (;;) {
       const t = performance.now();
       await fetch(workerData.url + '/health').then((r) => r.arrayBuffer()).catch(() => {});
       max[phase] = Math.max(max[phase] ?? 0, performance.now() - t);
       await new Promise((r) => setTimeout(r, 100));
     } })();`,
    { eval: true, workerData: { url } },
  );
  prober.unref();
  onCleanup(() => prober.terminate());
  const health = {
    phase: (name) => prober.postMessage(name),
    report: () => new Promise((resolve) => { prober.once('message', resolve); prober.postMessage('report'); }),
  };
  // --- the import, end to end over HTTP ---
  // In this process: the bench's own garbage (writing the file, seeding the directory) collected
  // first, so the import's figures are the server's.
  if (!separate) collectGarbage();
  rss.phase('import');
  health.phase('dryRun');
  const rssBeforeImport = serverRss();
  probe.setPhase('upload');
  const tUpload = performance.now();
  const cpuImport = serverCpu();
  const res = await fetch(`${url}/api/imports/patients?name=bench-patients.csv`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
    body: await openAsBlob(csvPath),
  }).catch((error) => {
    throw new Error(`upload failed: ${error.message}${error.cause ? ` (${error.cause.message})` : ''}; was server/dist rebuilt while the bench ran?`);
  });
  const uploaded = await res.json().catch(() => ({ error: 'no JSON body' }));
  if (res.status !== 201) throw new Error(`upload refused: HTTP ${res.status} ${uploaded.error ?? ''}`);
  const uploadMs = performance.now() - tUpload;
  log(`upload answered in ${seconds(uploadMs)} s; dry run...`);
  const readyEvent = await reaches(uploaded.jobId, ['ready', 'invalid', 'failed', 'cancelled'], 'the dry run');
  const ready = readyEvent.job;
  if (ready.status !== 'ready') throw new Error(`dry run ended ${ready.status}: ${ready.error ?? JSON.stringify(ready.report?.header)}`);
  // From the worker's first statement of the dry run (it may start before the upload is answered).
  const dryRunMs = readyEvent.at - (probe.marks.dryRunStart ?? tUpload + uploadMs);
  const uploadToReadyMs = readyEvent.at - tUpload;
  const dry = ready.report.dryRun;
  log(`dry run in ${seconds(dryRunMs)} s (upload start -> ready ${seconds(uploadToReadyMs)} s): ${JSON.stringify(dry)}`);

  const cpuDryRun = serverCpu() - cpuImport;
  health.phase('apply');
  probe.setPhase('apply');
  rss.phase('apply');
  const cpuApplyStart = serverCpu();
  const dbCpuApplyStart = databaseCpu(dbName);
  const tApply = performance.now();
  await api.mutate('imports.confirm', { jobId: uploaded.jobId });
  const doneEvent = await reaches(uploaded.jobId, ['completed', 'failed', 'cancelled'], 'the import to finish');
  const applyMs = doneEvent.at - tApply;
  const cpuApply = serverCpu() - cpuApplyStart;
  const dbCpuApply = databaseCpuSince(dbCpuApplyStart, databaseCpu(dbName));
  health.phase('after');
  const healthMax = await health.report();
  const done = doneEvent.job;
  probe.setPhase('after');
  rss.phase('verify');
  if (done.status !== 'completed') throw new Error(`import ended ${done.status}: ${done.error ?? ''}`);
  // Time per applied batch, from the progress events (one per committed batch).
  const applyEvents = progress.filter((e) => e.jobId === uploaded.jobId && e.status === 'running');
  const batchMs = applyEvents.map((e, i) => e.at - (i ? applyEvents[i - 1].at : tApply)).sort((a, b) => a - b);
  const pct = (p) => (batchMs.length ? round(batchMs[Math.min(batchMs.length - 1, Math.floor(p * batchMs.length))], 1) : null);
  const batches = { n: batchMs.length, firstMs: applyEvents.length ? round(applyEvents[0].at - tApply, 1) : null, medianMs: pct(0.5), p90Ms: pct(0.9), maxMs: pct(1) };
  log(`apply batches: ${batches.n}, first ${batches.firstMs} ms (includes the worker's wake-up), median ${batches.medianMs} ms, p90 ${batches.p90Ms} ms, max ${batches.maxMs} ms`);
  const serverApplyMs = new Date(done.finishedAt).getTime() - new Date(done.confirmedAt).getTime();
  log(`applied in ${seconds(applyMs)} s (server: confirmed -> finished ${seconds(serverApplyMs)} s): ${JSON.stringify(done.applied)} -> ${int(Math.round(rows / (applyMs / 1000)))} rows/s`);
  log(`CPU during the apply: server ${round(cpuApply)} s${dbCpuApply === null ? '' : `, PostgreSQL backends ${dbCpuApply} s`}`);

  // --- exactness ---
  const inOrg = await patientCount(probe.raw, org.id);
  const want = expected.counts;
  const same = (a) => a.created === want.created && a.updated === want.updated && a.unchanged === want.unchanged && a.rejected === want.rejected;
  const checks = {
    dryRunCounts: same(dry) && dry.total === rows && dry.warnings === expected.warnings,
    appliedCounts: same(done.applied),
    processedRows: done.processedRows === rows,
    patientsInOrg: inOrg.total === existing + want.created,
    importedPatients: inOrg.imported === want.created,
  };
  const exact = Object.values(checks).every(Boolean);
  log(`exact: ${exact}${exact ? '' : ` ${JSON.stringify(checks)}`} (patients in org ${int(inOrg.total)}, expected ${int(existing + want.created)})`);

  // --- baseline: the same number of rows, raw multi-row INSERT, fresh org, same table ---
  rss.phase('baseline');
  const other = trpcClient(url, await signUpAndConfirm(url, { name: 'Bench Baseline', email: `base-${randomUUID().slice(0, 8)}@clinic.example`, password: 'correct horse battery' }));
  const baseOrg = await other.mutate('orgs.create', { name: 'Baseline Clinic', timeZone: 'America/Chicago' });
  // Both orgs first: on PGlite the raw INSERT holds this thread for seconds, and the client's
  // kept-alive connection may be closed by the server meanwhile.
  const copyOrg = await other.mutate('orgs.create', { name: 'COPY Baseline Clinic', timeZone: 'America/Chicago' });
  const rawMs = await rawInsert(probe.raw, baseOrg.id, rows);
  const insertRatio = applyMs / rawMs;
  log(`raw multi-row INSERT of ${int(rows)} rows (${STATEMENT_ROWS}/statement): ${seconds(rawMs)} s -> apply is ${round(insertRatio)}x`);
  const copyMs = await rawCopy(kind, { url: dbUrl, db: { transaction: probe.rawTransaction } }, copyOrg.id, rows);
  const copyRatio = applyMs / copyMs;
  log(`raw COPY of ${int(rows)} rows (one COPY ... FROM STDIN): ${seconds(copyMs)} s -> apply is ${round(copyRatio)}x`);

  const { peaks, details } = rss.stop();
  const breakdown = { dryRun: probe.report('dryRun'), apply: probe.report('apply') };
  const sqlSeconds = (phase) => round(Object.values(breakdown[phase]).reduce((s, v) => s + v.seconds, 0), 3);
  const result = {
    rows,
    existing,
    uploadSeconds: seconds(uploadMs),
    dryRunSeconds: seconds(dryRunMs),
    uploadToReadySeconds: seconds(uploadToReadyMs),
    applySeconds: seconds(applyMs),
    serverApplySeconds: seconds(serverApplyMs),
    totalSeconds: seconds(uploadToReadyMs + applyMs),
    applyBatches: batches,
    rowsPerSecond: Math.round(rows / (applyMs / 1000)),
    // CPU of the server while it ran: its own process (from /proc), or this process (server JS, and the database itself on PGlite).
    cpuSeconds: { uploadAndDryRun: round(cpuDryRun), apply: round(cpuApply) },
    // CPU of the PostgreSQL backends on the scratch database during the apply (null on PGlite:
    // it runs in this process, inside cpuSeconds).
    databaseCpuSeconds: { apply: dbCpuApply },
    dryRunRowsPerSecond: Math.round(rows / (dryRunMs / 1000)),
    rawInsertSeconds: seconds(rawMs),
    insertRatio: round(insertRatio),
    rawCopySeconds: seconds(copyMs),
    copyRatio: round(copyRatio),
    // Slowest GET /health per phase (asked every 100 ms from another thread): how long the server stops answering.
    healthMaxMs: { dryRun: round(healthMax.dryRun ?? 0, 0), apply: round(healthMax.apply ?? 0, 0) },
    // Upload, dry run and apply together (the target); then each phase's peak and what made it up.
    peakRssMb: mb(Math.max(peaks.import ?? 0, peaks.apply ?? 0)),
    peakMemory: { dryRun: details.import ?? null, apply: details.apply ?? null },
    rssBeforeImportMb: mb(rssBeforeImport),
    processMaxRssMb: separate ? mb(processRss(child.pid).hwm) : round(process.resourceUsage().maxRSS / 1024, 1),
    // Where the server ran: its own process (node server/dist/main.js) or this one.
    server: separate ? 'process' : 'in-process',
    seedSeconds: seconds(seedMs),
    counts: { expected: { ...want, warnings: expected.warnings }, dryRun: dry, applied: done.applied, patientsInOrg: inOrg.total, expectedPatientsInOrg: existing + want.created },
    exact,
    checks,
    sqlSeconds: { dryRun: sqlSeconds('dryRun'), apply: sqlSeconds('apply') },
    breakdown,
  };
  log(`server responsiveness: slowest GET /health ${result.healthMaxMs.dryRun} ms during the dry run, ${result.healthMaxMs.apply} ms during the apply`);
  log(`peak RSS during the import ${result.peakRssMb} MB (before it ${result.rssBeforeImportMb} MB; process max ${result.processMaxRssMb} MB); upload + dry run ${JSON.stringify(result.peakMemory.dryRun)}, apply ${JSON.stringify(result.peakMemory.apply)}`);
  for (const phase of ['dryRun', 'apply']) {
    const wall = phase === 'apply' ? applyMs : dryRunMs;
    const parts = Object.entries(breakdown[phase]).map(([k, v]) => `${k} ${v.seconds}s/${v.n}`);
    log(`${phase}: SQL ${result.sqlSeconds[phase]} s of ${seconds(wall)} s wall [${parts.join(', ')}]; rest (parse, validate, match, polling) ${seconds(wall - result.sqlSeconds[phase] * 1000)} s`);
  }
  return result;
}
