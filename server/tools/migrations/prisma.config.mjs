// Prisma 6 CLI config for the JS schema engine, driven by migrations.mjs (paths via env; see
// README.md). `migrate diff` runs over in-memory PGlite; with MIGRATIONS_TOOL_DATABASE_URL set
// (`status`), `migrate status` runs against that real PostgreSQL database through adapter-pg.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'prisma/config';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';

const here = path.dirname(fileURLToPath(import.meta.url));

// pglite-prisma-adapter sends parameterless SQL through PGlite.query(), which rejects
// multi-statement migration files, and its executeScript() does not await. Route both
// through an awaited PGlite.exec() (also inside transactions).
function patchQueryable(q, client) {
  const executeRaw = q.executeRaw.bind(q);
  q.executeRaw = async (query) => {
    if (query.args && query.args.length > 0) return executeRaw(query);
    try {
      const results = await client.exec(query.sql);
      return results.reduce((n, r) => n + (r.affectedRows ?? 0), 0);
    } catch (e) {
      q.onError(e);
    }
  };
  q.executeScript = async (script) => {
    try {
      await client.exec(script);
    } catch (e) {
      q.onError(e);
    }
  };
  if (typeof q.startTransactionInner === 'function') {
    const inner = q.startTransactionInner.bind(q);
    q.startTransactionInner = async (conn, options) => {
      const tx = await inner(conn, options);
      return patchQueryable(tx, tx.client);
    };
  }
  return q;
}

// PGlite's WASM arms 10 s timers that keep the CLI alive ~10 s after it has printed the
// diff. Prisma never disposes the main connection (used only for a version query before
// the shadow database is created), so when the shadow connection is disposed at the end of
// the diff, close both instances. A query after that fails loudly rather than silently.
function pgliteFactory() {
  const main = new PGlite('memory://');
  const factory = new PrismaPGlite(main);
  const connect = factory.connect.bind(factory);
  factory.connect = async () => patchQueryable(await connect(), main);
  factory.connectToShadowDb = async () => {
    const shadow = new PGlite('memory://');
    const adapter = patchQueryable(await new PrismaPGlite(shadow).connect(), shadow);
    adapter.dispose = async () => {
      for (const lite of [shadow, main]) if (!lite.closed) await lite.close();
    };
    return adapter;
  };
  return factory;
}

// Read-only use (`migrate status`). adapter-pg's executeScript() splits SQL on every `;`, so
// this is not fit for applying migrations; the app does that itself. allowExitOnIdle lets the
// CLI exit even if prisma never disposes the connection.
function postgresFactory(url) {
  return new PrismaPg({ connectionString: url, max: 2, allowExitOnIdle: true });
}

const databaseUrl = process.env.MIGRATIONS_TOOL_DATABASE_URL;

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: process.env.MIGRATIONS_TOOL_SCHEMA ?? path.join(here, '.schema.v6.prisma'),
  migrations: {
    path: process.env.MIGRATIONS_TOOL_DIR ?? path.join(here, '../../prisma/migrations'),
  },
  adapter: async () => (databaseUrl ? postgresFactory(databaseUrl) : pgliteFactory()),
});
