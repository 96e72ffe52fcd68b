// pnpm bench import [--db pglite|postgres|both] [--rows N] [--existing N] [--seed N] [--timeout S] [--analyze] [--in-process]
//
// Issue 4's benchmark: a messy 100,000-row patient CSV imported, over HTTP through the running
// server, into a directory of 50,000 patients; dry run, apply, rows/s, peak RSS, exactness, and
// the ratio of the apply time to raw loads of as many rows (multi-row INSERTs, and one COPY).
// Targets: PostgreSQL (issue 11) apply <= 5 s, <= 3x the raw COPY, peak RSS <= 400 MB; PGlite
// (issue 4) apply <= 10 s and <= 3x the raw INSERT. Each database runs in its own process
// (so its RSS is its own). The last line of output is one JSON object (the bench contract).
import { spawn } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cleanup, cleanupOnSignals } from '../_lib/server.mjs';

/** Per database: apply seconds, ratio to which baseline, peak RSS (null: not a target there). */
const TARGETS = {
  postgres: { seconds: 5, ratio: 3, baseline: 'copy', rssMb: 400 },
  pglite: { seconds: 10, ratio: 3, baseline: 'insert', rssMb: null },
};
const describeTarget = (t) => `<= ${t.seconds} s, <= ${t.ratio}x the raw ${t.baseline === 'copy' ? 'COPY' : 'INSERT'}${t.rssMb ? `, peak RSS <= ${t.rssMb} MB` : ''}`;

const { values: opts } = parseArgs({
  options: {
    db: { type: 'string', default: 'both' },
    rows: { type: 'string', default: '100000' },
    existing: { type: 'string', default: '50000' },
    seed: { type: 'string', default: '42' },
    timeout: { type: 'string', default: '600' },
    analyze: { type: 'boolean', default: false },
    'in-process': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opts.help) {
  console.log('pnpm bench import [--db pglite|postgres|both] [--rows 100000] [--existing 50000] [--seed 42] [--timeout 600] [--analyze]');
  console.log('  --analyze   run ANALYZE "Patient" after seeding the directory (default: no)');
  console.log('  --in-process  PostgreSQL: run the server in the bench process (SQL breakdown per statement kind; its RSS then includes the bench). Default: its own process, node server/dist/main.js.');
  console.log('  PostgreSQL: a scratch database is created on BENCH_DATABASE_URL (or TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test) and dropped.');
  process.exit(0);
}
const num = (name, min) => {
  const n = Number(opts[name]);
  if (!Number.isInteger(n) || n < min) {
    console.error(`--${name} must be an integer >= ${min}`);
    process.exit(2);
  }
  return n;
};
const settings = { rows: num('rows', 1), existing: num('existing', 0), seed: num('seed', 0), timeoutSeconds: num('timeout', 10), analyze: opts.analyze, inProcess: opts['in-process'] };
if (settings.rows > 8_000_000 || settings.existing > 8_000_000) {
  console.error('--rows and --existing are limited to 8,000,000 (phone number ranges)');
  process.exit(2);
}
const dbs = opts.db === 'both' ? ['pglite', 'postgres'] : [opts.db];
if (!dbs.every((d) => d === 'pglite' || d === 'postgres')) {
  console.error('--db must be pglite, postgres or both');
  process.exit(2);
}

const round2 = (n) => Math.round(n * 100) / 100;

/** The contract line: worst figures across the databases, each database's figures under its name. */
function summarize(results, errors) {
  const entries = Object.entries(results);
  for (const [db, r] of entries) {
    const t = TARGETS[db];
    r.target = { ...t };
    r.ratio = t.baseline === 'copy' ? r.copyRatio : r.insertRatio;
    r.baselineSeconds = t.baseline === 'copy' ? r.rawCopySeconds : r.rawInsertSeconds;
    r.ok = r.applySeconds <= t.seconds && r.ratio <= t.ratio && (t.rssMb === null || r.peakRssMb <= t.rssMb) && r.exact;
  }
  const worstApply = entries.reduce((w, e) => (!w || e[1].applySeconds > w[1].applySeconds ? e : w), null);
  const worstRatio = entries.reduce((w, e) => (!w || e[1].ratio > w[1].ratio ? e : w), null);
  return {
    bench: 'import',
    value: worstApply ? worstApply[1].applySeconds : null,
    unit: 's',
    target: worstApply ? TARGETS[worstApply[0]].seconds : null,
    baseline: worstRatio ? worstRatio[1].baselineSeconds : null,
    ratio: worstRatio ? worstRatio[1].ratio : null,
    targetRatio: worstRatio ? TARGETS[worstRatio[0]].ratio : null,
    ok: Object.keys(errors).length === 0 && entries.length === dbs.length && entries.every(([, r]) => r.ok),
    rows: settings.rows,
    existing: settings.existing,
    worst: { value: worstApply?.[0] ?? null, ratio: worstRatio?.[0] ?? null },
    // Wall-clock figures on a shared machine: a high load average means noisy numbers.
    machine: { cpus: availableParallelism(), loadAverage1mBefore: round2(loadBefore[0]), loadAverage1mAfter: round2(loadavg()[0]), node: process.version },
    ...(Object.keys(errors).length ? { errors } : {}),
    ...results,
  };
}

/** Runs one database in a child process; passes its lines through and returns its JSON line. */
function runChild(db) {
  const args = [fileURLToPath(import.meta.url), '--db', db, '--rows', String(settings.rows), '--existing', String(settings.existing), '--seed', String(settings.seed), '--timeout', String(settings.timeoutSeconds)];
  if (settings.analyze) args.push('--analyze');
  if (settings.inProcess) args.push('--in-process');
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const stop = () => {
    interrupted = true;
    child.kill('SIGTERM');
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // Bounded: a child that overruns every wait it has is stopped (it cleans up on SIGTERM).
  const watchdog = setTimeout(() => {
    console.log(`[${db}] still running after ${settings.timeoutSeconds * 3} s: stopping it`);
    stop();
    setTimeout(() => child.kill('SIGKILL'), 30_000).unref();
  }, settings.timeoutSeconds * 3 * 1000);
  watchdog.unref();
  let last = null;
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (last !== null) console.log(last);
    last = line;
  });
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(watchdog);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      try {
        const parsed = JSON.parse(last ?? '');
        if (parsed?.bench !== 'import') throw new Error('not the bench line');
        resolve({ result: parsed[db] ?? null, error: parsed.errors?.[db] ?? (parsed[db] ? null : `exited ${code}`) });
      } catch {
        if (last !== null) console.log(last);
        resolve({ result: null, error: `exited ${code} without a result` });
      }
    });
  });
}

const results = {};
const errors = {};
const loadBefore = loadavg();
if (dbs.length > 1 || !process.argv.includes('--db')) console.log(`machine: ${availableParallelism()} CPUs, load average ${loadBefore.map(round2).join(' ')} (wall-clock figures are noisy when other work runs)`);
let interrupted = false;
if (dbs.length === 1) {
  cleanupOnSignals();
  const [db] = dbs;
  const log = (line) => console.log(`[${db}] ${line}`);
  try {
    const { runImportBench } = await import('./run-db.mjs');
    log(`import bench: ${settings.rows.toLocaleString('en-US')} rows into ${settings.existing.toLocaleString('en-US')} existing patients`);
    results[db] = await runImportBench(db, { ...settings, log });
  } catch (error) {
    errors[db] = error.message;
    console.log(`[${db}] FAILED: ${error.stack ?? error.message}`);
  } finally {
    await cleanup();
  }
} else {
  for (const db of dbs) {
    if (interrupted) {
      errors[db] = 'not run (interrupted)';
      continue;
    }
    const { result, error } = await runChild(db);
    if (result) results[db] = result;
    if (error) errors[db] = error;
  }
}

const summary = summarize(results, errors);
for (const [db, r] of Object.entries(results)) {
  console.log(
    `${db}: dry run ${r.dryRunSeconds} s, apply ${r.applySeconds} s (${r.rowsPerSecond.toLocaleString('en-US')} rows/s), raw INSERT ${r.rawInsertSeconds} s -> ${r.insertRatio}x, raw COPY ${r.rawCopySeconds} s -> ${r.copyRatio}x, peak RSS ${r.peakRssMb} MB, exact ${r.exact} -> ${r.ok ? 'OK' : 'NOT within target'} (${describeTarget(TARGETS[db])})`,
  );
}
console.log(JSON.stringify(summary));
// Missing the target is a result (ok: false), not a failure of the bench; a crash is.
process.exit(Object.keys(errors).length ? 1 : 0);
