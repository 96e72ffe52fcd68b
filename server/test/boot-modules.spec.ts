import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openTestDatabase, SERVER_MAIN, TEST_DB } from './harness.js';

/**
 * What `node dist/main.js` loads for its configuration (memory, issue 13): a server on PostgreSQL
 * never loads PGlite, and one with SMTP_URL never loads the Dev mailbox's SMTP server and mail
 * parser. Seen from a loader hook that records every module the process resolves.
 */
const work = mkdtempSync(path.join(tmpdir(), 'ct-modules-'));
const PRELOAD = path.join(work, 'record-modules.mjs');
writeFileSync(
  PRELOAD,
  `import { register } from 'node:module';
import { writeFileSync } from 'node:fs';
const { port1, port2 } = new MessageChannel();
const urls = [];
port1.on('message', (url) => urls.push(url));
port1.unref();
register('data:text/javascript,' + encodeURIComponent('let port; export function initialize(d) { port = d.port; } export async function resolve(s, c, next) { const r = await next(s, c); port.postMessage(r.url); return r; }'), { data: { port: port2 }, transferList: [port2] });
process.on('exit', () => writeFileSync(process.env.MODULES_OUT, urls.join('\\n')));
`,
);

/** Boots the built server with `env`, stops it once it runs, and returns the module URLs it resolved. */
async function modulesLoadedBy(env: Record<string, string>): Promise<string[]> {
  const out = path.join(work, `modules-${Math.random().toString(36).slice(2)}.txt`);
  const child = spawn(process.execPath, ['--import', PRELOAD, SERVER_MAIN], {
    env: { PATH: process.env.PATH!, PORT: '0', HOST: '127.0.0.1', SEED_DEMO: '0', LOG_LEVEL: 'warn', MODULES_OUT: out, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      output += d;
      if (output.includes('CareText is running at')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then(() => reject(new Error(`server exited:\n${output}`)));
  });
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  return readFileSync(out, 'utf8').split('\n');
}

const loaded = (urls: string[], pkg: string) => urls.some((url) => url.includes(`/node_modules/${pkg}/`));

describe.runIf(existsSync(SERVER_MAIN))('modules a configuration does not use are not loaded', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
  });

  it.runIf(TEST_DB === 'postgres')('on PostgreSQL with SMTP_URL: no PGlite, no SMTP server or mail parser', async () => {
    const scratch = await openTestDatabase(); // the child process migrates and uses it; drop() closes ours
    cleanups.push(() => scratch.drop());
    const urls = await modulesLoadedBy({ DATABASE_URL: scratch.url!, SMTP_URL: 'smtp://127.0.0.1:2525' });
    expect(loaded(urls, 'pg')).toBe(true);
    expect(loaded(urls, '@electric-sql/pglite')).toBe(false);
    expect(loaded(urls, 'pglite-prisma-adapter')).toBe(false);
    expect(loaded(urls, 'smtp-server')).toBe(false);
    expect(loaded(urls, 'mailparser')).toBe(false);
  }, 60_000);

  it.runIf(TEST_DB === 'pglite')('on PGlite without SMTP_URL: PGlite and the Dev mailbox are loaded', async () => {
    const urls = await modulesLoadedBy({ DATA_DIR: mkdtempSync(path.join(work, 'data-')) });
    expect(loaded(urls, '@electric-sql/pglite')).toBe(true);
    expect(loaded(urls, 'smtp-server')).toBe(true);
    expect(loaded(urls, 'mailparser')).toBe(true);
  }, 60_000);
});
