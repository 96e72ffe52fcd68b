import { readdirSync } from 'node:fs';
import { Socket } from 'node:net';
import { configDefaults, defineConfig } from 'vitest/config';

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

/** Security suites (paths under server/) that run on PGlite only when PostgreSQL is not there: all but the demo mode's. */
const DEMO_MODE_SUITES = ['http-demo-tools.spec.ts', 'http-simulator-controls.spec.ts'];
const SECURITY_ON_POSTGRES_ONLY = readdirSync(new URL('./server/test/security/', import.meta.url))
  .filter((file) => file.endsWith('.spec.ts') && !DEMO_MODE_SUITES.includes(file))
  .map((file) => `test/security/${file}`);

export default defineConfig(async () => {
  const required = process.env.REQUIRE_POSTGRES === '1';
  const postgres = required || (await reachable(POSTGRES_URL));
  if (!postgres) console.warn(`\n[caretext] PostgreSQL not reachable at ${POSTGRES_URL}: the PostgreSQL run of the server suite is skipped.\n`);
  const server = (db: 'pglite' | 'postgres') => ({
    extends: './server/vitest.config.ts',
    root: './server',
    test: {
      name: `server:${db}`,
      env: { TEST_DB: db, TEST_DATABASE_URL: POSTGRES_URL },
      // With PostgreSQL there, the security suites run once, on it: they check who may do what
      // (roles, orgs, teams, links, input), rules the server's code enforces the same way on
      // either engine, and on PGlite they were a third of the main lane's time (~690 s of ~1,880 s
      // of PGlite test time on a 2-CPU machine). The demo mode's suites stay on both: `pnpm
      // start` runs on PGlite. Without PostgreSQL every suite runs on PGlite.
      ...(db === 'pglite' && postgres ? { exclude: [...configDefaults.exclude, ...SECURITY_ON_POSTGRES_ONLY] } : {}),
    },
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
