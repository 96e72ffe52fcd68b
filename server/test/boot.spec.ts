import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** The real entry point (`node dist/main.js`, what `pnpm start` runs), as separate processes. */
// Process-level behaviour does not depend on the database backend: run it in the PGlite pass only.
const ONCE = process.env.TEST_DB !== 'postgres';
const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

function run(env: Record<string, string>) {
  const child = spawn(process.execPath, [MAIN], { env: { PATH: process.env.PATH!, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const until = (text: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => (output.includes(text) ? resolve() : undefined);
      child.stdout!.on('data', check);
      child.stderr!.on('data', check);
      exited.then(() => (output.includes(text) ? resolve() : reject(new Error(`exited before "${text}":\n${output}`))));
      check();
    });
  return { child, exited, until, output: () => output };
}

describe.runIf(existsSync(MAIN) && ONCE)('booting the server', () => {
  let first: ReturnType<typeof run> & { child: ChildProcess };
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ct-boot-'));

  beforeAll(async () => {
    first = run({ PORT: '0', DATA_DIR: dataDir, HOST: '127.0.0.1' });
    await first.until('CareText is running at');
  }, 60_000);
  afterAll(async () => {
    first?.child.kill('SIGTERM');
    await first?.exited;
  });

  it('seeds the demo org on first start and prints the sign-in', () => {
    expect(first.output()).toContain('Seeded the demo organization');
    expect(first.output()).toContain('admin@sunrise-clinic.example');
  });

  it('refuses a second server on the same data directory, naming the pid, and leaves the first running', async () => {
    const second = run({ PORT: '0', DATA_DIR: dataDir });
    expect(await second.exited).toBe(1);
    expect(second.output()).toContain(`in use by another CareText server (pid ${first.child.pid})`);
    expect(readFileSync(path.join(dataDir, 'caretext.lock'), 'utf8')).toBe(String(first.child.pid));
    expect(first.child.exitCode).toBeNull();
  });

  it('a malformed DATABASE_URL stops the boot with a readable message', async () => {
    const bad = run({ PORT: '0', DATABASE_URL: 'localhost/caretext' });
    expect(await bad.exited).toBe(1);
    expect(bad.output()).toContain('DATABASE_URL: must look like postgres://user:password@host:5432/database');
    expect(bad.output()).not.toMatch(/\n\s+at /); // no stack trace for a config mistake
  });

  it('an unreachable PostgreSQL says where it tried, without the password', async () => {
    const bad = run({ PORT: '0', DATABASE_URL: 'postgres://app:hunter2secret@127.0.0.1:1/caretext' });
    expect(await bad.exited).toBe(1);
    expect(bad.output()).toContain('Cannot connect to PostgreSQL at 127.0.0.1:1/caretext');
    expect(bad.output()).not.toContain('hunter2secret');
  });
});

describe.runIf(existsSync(MAIN) && ONCE)('restarting on the same data', () => {
  it('keeps what was written, takes over a lock left by a killed process, and does not seed twice', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'ct-restart-'));
    const a = run({ PORT: '0', DATA_DIR: dataDir, HOST: '127.0.0.1' });
    await a.until('CareText is running at');
    a.child.kill('SIGKILL');
    await a.exited;
    // LOG_LEVEL=warn: Nest's start-up lines (info) are not printed; the banner still is.
    const b = run({ PORT: '0', DATA_DIR: dataDir, HOST: '127.0.0.1', LOG_LEVEL: 'warn' });
    await b.until('CareText is running at');
    expect(b.output()).not.toContain('Seeded the demo organization');
    expect(b.output()).toContain('admin@sunrise-clinic.example');
    expect(b.output()).not.toContain('Nest application successfully started');
    expect(a.output()).toContain('Nest application successfully started');
    b.child.kill('SIGTERM');
    expect(await b.exited).toBe(0);
    // Two boots on a fresh data directory (migrations, then the demo seed): ~50 s when the rest
    // of the suite runs beside it on 2 CPUs, so the limit only catches a hang.
  }, 180_000);
});
