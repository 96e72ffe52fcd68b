#!/usr/bin/env node
/**
 * `pnpm test` after the build: every suite in two lanes at once.
 *
 * The e2e project runs one file at a time (each starts a server and a Chromium), and Vitest
 * runs such a project only after every parallel one has finished: measured on CI, the suites
 * took 1,320 s, the last 565 s of them e2e files alone on an otherwise idle machine. Here the
 * e2e lane is a Vitest process of its own, started with the other suites (their lane keeps
 * TEST_WORKERS files at a time, default 3), so the two overlap. The e2e lane's output is kept
 * and printed when both are done, so neither lane's lines are cut into the other's.
 *
 * With arguments (`pnpm test server/test/blasts.spec.ts`, `pnpm test --project web`) it is
 * plain `vitest run <arguments>`.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const VITEST = path.join(ROOT, 'node_modules/vitest/vitest.mjs');
const args = process.argv.slice(2);
const children = new Set();

function run(vitestArgs, { env = {}, logFile = null } = {}) {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [VITEST, 'run', ...vitestArgs], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: logFile ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    });
    children.add(child);
    if (logFile) {
      const out = createWriteStream(logFile);
      child.stdout.pipe(out, { end: false });
      child.stderr.pipe(out, { end: false });
      child.on('close', () => out.end());
    }
    child.on('close', (code, signal) => {
      children.delete(child);
      resolve({ code: code ?? (signal ? 1 : 0), seconds: Math.round((Date.now() - started) / 1000) });
    });
  });
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const child of children) child.kill(signal);
    process.exit(130);
  });
}

if (args.length) {
  const { code } = await run(args);
  process.exit(code);
}

const dir = await mkdtemp(path.join(tmpdir(), 'caretext-tests-'));
const e2eLog = path.join(dir, 'e2e.log');
// The machine's state goes in the log: a run twice as slow as usual was, once, a machine already
// busy with something else (load average high before the first test started).
const load = () => loadavg().map((n) => n.toFixed(2)).join(' ');
console.log(`[tests] ${cpus().length} cores, load average ${load()} (1, 5, 15 min) before starting`);
console.log('[tests] two lanes at once: the e2e files (one at a time, output shown at the end) and every other suite');
const e2e = run(['--project', 'e2e'], { logFile: e2eLog }).then((result) => {
  console.log(`\n[tests] e2e lane finished (exit ${result.code}, ${result.seconds} s); its output follows the other suites'\n`);
  return result;
});
const rest = await run(['--project', '!e2e'], { env: { TEST_WORKERS: process.env.TEST_WORKERS || '3' } });
const e2eResult = await e2e;

console.log('\n==================== e2e lane (Chromium) ====================\n');
process.stdout.write(await readFile(e2eLog, 'utf8'));
await rm(dir, { recursive: true, force: true });

const verdict = (r) => (r.code === 0 ? 'passed' : `FAILED (exit ${r.code})`);
console.log(`\n[tests] other suites: ${verdict(rest)} in ${rest.seconds} s; e2e: ${verdict(e2eResult)} in ${e2eResult.seconds} s`);
console.log(`[tests] load average ${load()} (1, 5, 15 min) at the end`);
process.exit(rest.code || e2eResult.code);
