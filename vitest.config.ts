import { Socket } from 'node:net';
import { defineConfig } from 'vitest/config';

/**
 * Every suite in one run. The server's API suite runs twice, on embedded PGlite and on real
 * PostgreSQL (TEST_DATABASE_URL, default the local server). Without a reachable PostgreSQL the
 * second run is skipped with a notice, unless REQUIRE_POSTGRES=1 (CI), where it must run.
 */
const POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

function reachable(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.setTimeout(1500);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
    socket.connect(Number(port || 5432), hostname || '127.0.0.1');
  });
}

export default defineConfig(async () => {
  const required = process.env.REQUIRE_POSTGRES === '1';
  const postgres = required || (await reachable(POSTGRES_URL));
  if (!postgres) console.warn(`\n[caretext] PostgreSQL not reachable at ${POSTGRES_URL}: the PostgreSQL run of the server suite is skipped.\n`);
  const server = (db: 'pglite' | 'postgres') => ({
    extends: './server/vitest.config.ts',
    root: './server',
    test: { name: `server:${db}`, env: { TEST_DB: db, TEST_DATABASE_URL: POSTGRES_URL } },
  });
  return {
    test: {
      // Most test time is waiting (databases, the simulated carrier, Chromium), not computing: on a
      // 2-core machine Vitest's default (cores - 1 = one file at a time) left the CPU idle; four
      // files at a time took the PostgreSQL server suite from 295 s to 134 s. TEST_WORKERS overrides.
      maxWorkers: Number(process.env.TEST_WORKERS) || 4,
      projects: ['shared', 'web', 'extension', 'test', server('pglite'), ...(postgres ? [server('postgres')] : [])],
    },
  };
});
