import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { copyCsvStatement, copyCsvThenQuery } from './copy-then-query.js';
import { PrismaClient } from '../generated/prisma/client.js';
import { type MigrationConnection, migrate } from './migrator.js';
import { acquireDataDirLock } from './pglite-lock.js';
import { isDatabaseUnavailable } from './unavailable.js';

export type { PrismaClient };

/** Raw SQL for the bulk paths where Prisma is too slow (imports, blast fan-out). */
export interface SqlRunner {
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /**
   * Bulk load with COPY ... FROM (CSV): PGlite reads it in-process (about twice as fast as a
   * multi-row INSERT there), PostgreSQL over the connection (COPY FROM STDIN). Offered inside
   * `transaction` only.
   */
  copyCsv?(table: string, columns: string[], csv: string): Promise<void>;
}

/**
 * Statements on one connection that nothing else uses meanwhile: what a session-local TEMP
 * table needs, e.g. a COPY into it, then one statement that reads it. On PostgreSQL there is no
 * transaction around them (each statement commits on its own: no BEGIN/COMMIT round trips),
 * and a connection on which anything failed is closed, not reused: its TEMP tables go with it.
 * On PGlite (one connection for everything) the session is one transaction, so nothing else
 * runs between its statements. `state` lives as long as the connection (what was already set
 * up on it, such as that TEMP table).
 */
export type SessionRunner = Omit<SqlRunner, 'copyCsv'> & {
  state: Map<string, unknown>;
  /**
   * COPY ... FROM (CSV) into `table`, emptied first (TRUNCATE) when `truncate`, then `statement`
   * (no parameters: its values written in with `sqlLiteral`), atomically; answers the
   * statement's rows. On PostgreSQL one simple query, one round trip (copy-then-query.ts), its
   * values as text.
   */
  copyCsvThenQuery<T = Record<string, unknown>>(table: string, columns: string[], csv: string, statement: string, options?: { truncate?: boolean }): Promise<T[]>;
};

/** A string as an SQL literal (for the statements of `copyCsvThenQuery`, which take no parameters). */
export const sqlLiteral = (value: string): string => pg.escapeLiteral(value);

/**
 * What /health says of the database (to anyone: no host, name or driver message): reachable, and
 * how long one round trip took.
 */
export type DatabaseHealth = { ok: boolean; latencyMs: number | null; error?: 'unreachable' | 'timeout' | 'error' };

export interface Database {
  kind: 'pglite' | 'postgres';
  prisma: PrismaClient;
  sql: SqlRunner;
  /** Runs `fn` in one SQL transaction on a single connection. */
  transaction<T>(fn: (sql: SqlRunner) => Promise<T>): Promise<T>;
  /** Runs `fn` on a single connection, no transaction (see SessionRunner). */
  session<T>(fn: (sql: SessionRunner) => Promise<T>): Promise<T>;
  /** One round trip (`SELECT 1`), bounded by `timeoutMs`: never throws. */
  ping(timeoutMs?: number): Promise<DatabaseHealth>;
  close(): Promise<void>;
}

export type DatabaseOptions =
  | { kind: 'postgres'; url: string; poolSize?: number }
  /**
   * `dir: null` keeps everything in memory (tests). `template`: an in-memory database starts
   * from this dump (PGlite's dumpDataDir, see pgliteTemplate) instead of an empty cluster.
   */
  | { kind: 'pglite'; dir: string | null; template?: Blob };

export class DatabaseConnectError extends Error {}

export async function openDatabase(options: DatabaseOptions, log: (line: string) => void = () => {}): Promise<Database> {
  return options.kind === 'postgres' ? openPostgres(options.url, options.poolSize ?? 10, log) : openPglite(options.dir, log, options.template);
}

/** Waiting longer than this for a new connection means the server is not there: fail (503) rather than hang. */
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * PGlite is loaded when a PGlite database is opened, not at startup: a server on PostgreSQL never
 * loads it (its module alone is ~11 MB resident, before any WASM Postgres is started).
 */
const loadPglite = async () => {
  const [{ PGlite }, { PrismaPGlite }] = await Promise.all([import('@electric-sql/pglite'), import('pglite-prisma-adapter')]);
  return { PGlite, PrismaPGlite };
};

async function openPostgres(url: string, poolSize: number, log: (line: string) => void): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, keepAlive: true });
  // An idle client whose backend went away (restart, failover, pg_terminate_backend): the pool
  // drops it and opens a new connection on the next request.
  pool.on('error', (error) => log(`postgres: idle connection lost (${error.message}); the next query reconnects`));
  let conn: CheckedOut;
  try {
    conn = await checkout(pool);
  } catch (error) {
    await pool.end().catch(() => {});
    const where = safeUrl(url);
    throw new DatabaseConnectError(`Cannot connect to PostgreSQL at ${where}: ${(error as Error).message}`);
  }
  try {
    const { client } = conn;
    const migrations: MigrationConnection = {
      query: (text, params) => client.query(text, params as unknown[]),
      exec: async (text) => {
        await client.query(text);
      },
    };
    await migrate(migrations, log);
  } finally {
    conn.done();
  }
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  const sql: SqlRunner = {
    query: async (text, params) => (await pool.query(text, params as unknown[])).rows,
  };
  return {
    kind: 'postgres',
    prisma,
    sql,
    async transaction(fn) {
      const checkedOut = await checkout(pool);
      const tx = checkedOut.client;
      try {
        await tx.query('BEGIN');
        const result = await fn({
          query: async (text, params) => (await tx.query(text, params as unknown[])).rows,
          copyCsv: (table, columns, csv) => copyCsvInto(tx, table, columns, csv),
        });
        await tx.query('COMMIT');
        return result;
      } catch (error) {
        if (!checkedOut.broken()) await tx.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        checkedOut.done();
      }
    },
    async session(fn) {
      const checkedOut = await checkout(pool);
      const client = checkedOut.client;
      let state = sessionState.get(client);
      if (!state) sessionState.set(client, (state = new Map()));
      try {
        return await fn({
          query: async (text, params) => (await client.query(text, params as unknown[])).rows,
          copyCsvThenQuery: (table, columns, csv, statement, options) => copyCsvThenQuery(client, table, columns, csv, statement, options?.truncate ?? false),
          state,
        });
      } catch (error) {
        // Whatever the session left on the connection (a half-filled TEMP table) goes with it.
        checkedOut.discard(error as Error);
        throw error;
      } finally {
        checkedOut.done();
      }
    },
    ping: (timeoutMs) => ping(() => pool.query('SELECT 1'), timeoutMs),
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

type CheckedOut = { client: pg.PoolClient; broken(): Error | null; discard(error: Error): void; done(): void };

/** Per pooled connection: what sessions set up on it (see SessionRunner). */
const sessionState = new WeakMap<pg.PoolClient, Map<string, unknown>>();

/**
 * A client taken from the pool for a transaction or the migrations. pg's pool listens for a
 * client's `error` only while it is idle: a backend terminated while the client is checked out
 * would be an unhandled `error` event (the process dies). This listener keeps it as `broken`
 * (the running query fails on its own), and `done()` then discards the connection instead of
 * returning it to the pool.
 */
async function checkout(pool: pg.Pool): Promise<CheckedOut> {
  const client = await pool.connect();
  let broken: Error | null = null;
  const onError = (error: Error) => {
    broken ??= error;
  };
  client.on('error', onError);
  return {
    client,
    broken: () => broken,
    discard(error) {
      broken ??= error;
    },
    done() {
      client.removeListener('error', onError);
      client.release(broken ?? undefined);
    },
  };
}

/** COPY ... FROM STDIN (CSV) on one connection: the fastest way PostgreSQL takes rows. */
async function copyCsvInto(client: pg.PoolClient, table: string, columns: string[], csv: string): Promise<void> {
  const stream = client.query(copyFrom(copyCsvStatement(table, columns, 'STDIN')));
  await pipeline(Readable.from([csv]), stream);
}

class PingTimeout extends Error {}

async function ping(query: () => Promise<unknown>, timeoutMs = 2_000): Promise<DatabaseHealth> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new PingTimeout()), timeoutMs);
  });
  try {
    await Promise.race([query(), timeout]);
    return { ok: true, latencyMs: Math.round((performance.now() - started) * 10) / 10 };
  } catch (error) {
    return { ok: false, latencyMs: null, error: error instanceof PingTimeout ? 'timeout' : isDatabaseUnavailable(error) ? 'unreachable' : 'error' };
  } finally {
    clearTimeout(timer);
  }
}

async function openPglite(dir: string | null, log: (line: string) => void, template?: Blob): Promise<Database> {
  const { PGlite, PrismaPGlite } = await loadPglite();
  const release = dir ? acquireDataDirLock(dir) : () => {};
  let lite: PGlite;
  try {
    lite = dir ? await PGlite.create(path.join(dir, 'pglite')) : template ? await PGlite.create({ loadDataDir: template }) : await PGlite.create('memory://');
  } catch (error) {
    release();
    throw new DatabaseConnectError(`Cannot open the embedded database in ${dir}: ${(error as Error).message}`);
  }
  try {
    await migrate(migrationsOn(lite), log);
  } catch (error) {
    await lite.close().catch(() => {});
    release();
    throw error;
  }
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(lite) });
  const liteState = new Map<string, unknown>();
  return {
    kind: 'pglite',
    prisma,
    sql: { query: async (text, params) => (await lite.query(text, params)).rows as never },
    transaction: (fn) =>
      lite.transaction((tx) =>
        fn({
          query: async (text, params) => (await tx.query(text, params)).rows as never,
          copyCsv: (table, columns, csv) => copyBlob(tx, table, columns, csv),
        }),
      ),
    // One connection, shared by everything: a session holds it alone, as a transaction (nothing
    // else runs between its statements; it costs no round trip in-process).
    session: (fn) =>
      lite.transaction((tx) =>
        fn({
          query: async (text, params) => (await tx.query(text, params)).rows as never,
          copyCsvThenQuery: async (table, columns, csv, statement, options) => {
            if (options?.truncate) await tx.query(`TRUNCATE "${table}"`);
            await copyBlob(tx, table, columns, csv);
            return (await tx.query(statement)).rows as never;
          },
          state: liteState,
        }),
      ),
    ping: (timeoutMs) => ping(() => lite.query('SELECT 1'), timeoutMs),
    async close() {
      await prisma.$disconnect();
      await lite.close();
      release();
    },
  };
}

/** COPY ... FROM (CSV) on PGlite: the CSV handed over in-process as a blob. */
async function copyBlob(tx: Pick<PGlite, 'query'>, table: string, columns: string[], csv: string): Promise<void> {
  await tx.query(copyCsvStatement(table, columns, "'/dev/blob'"), [], { blob: new Blob([csv]) });
}

/** The migrator's connection to a PGlite database. */
function migrationsOn(lite: PGlite): MigrationConnection {
  return {
    query: (text, params) => lite.query<Record<string, unknown>>(text, params),
    exec: async (text) => {
      await lite.exec(text);
    },
  };
}

/**
 * A migrated, empty in-memory database as a dump (tests): creating a PGlite cluster and applying
 * every migration costs seconds, loading this costs a fraction (test/harness.ts, e2e harness).
 */
export async function pgliteTemplate(): Promise<Blob> {
  const { PGlite } = await loadPglite();
  const lite = await PGlite.create('memory://');
  try {
    await migrate(migrationsOn(lite), () => {});
    return await lite.dumpDataDir('none');
  } finally {
    await lite.close();
  }
}

function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}
