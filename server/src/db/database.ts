import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaClient } from '../generated/prisma/client.js';
import { type MigrationConnection, migrate } from './migrator.js';
import { acquireDataDirLock } from './pglite-lock.js';

export type { PrismaClient };

/** Raw SQL for the bulk paths where Prisma is too slow (imports, blast fan-out). */
export interface SqlRunner {
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /**
   * Bulk load with COPY ... FROM (CSV), where the backend offers it in-process (PGlite:
   * about twice as fast as a multi-row INSERT there). Absent on PostgreSQL.
   */
  copyCsv?(table: string, columns: string[], csv: string): Promise<void>;
}

export interface Database {
  kind: 'pglite' | 'postgres';
  prisma: PrismaClient;
  sql: SqlRunner;
  /** Runs `fn` in one SQL transaction on a single connection. */
  transaction<T>(fn: (sql: SqlRunner) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export type DatabaseOptions =
  | { kind: 'postgres'; url: string; poolSize?: number }
  /** `dir: null` keeps everything in memory (tests). */
  | { kind: 'pglite'; dir: string | null };

export class DatabaseConnectError extends Error {}

export async function openDatabase(options: DatabaseOptions, log: (line: string) => void = () => {}): Promise<Database> {
  return options.kind === 'postgres' ? openPostgres(options.url, options.poolSize ?? 10, log) : openPglite(options.dir, log);
}

async function openPostgres(url: string, poolSize: number, log: (line: string) => void): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  pool.on('error', (error) => log(`postgres pool error: ${error.message}`));
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    await pool.end().catch(() => {});
    const where = safeUrl(url);
    throw new DatabaseConnectError(`Cannot connect to PostgreSQL at ${where}: ${(error as Error).message}`);
  }
  try {
    const conn: MigrationConnection = {
      query: (text, params) => client.query(text, params as unknown[]),
      exec: async (text) => {
        await client.query(text);
      },
    };
    await migrate(conn, log);
  } finally {
    client.release();
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
      const tx = await pool.connect();
      try {
        await tx.query('BEGIN');
        const result = await fn({ query: async (text, params) => (await tx.query(text, params as unknown[])).rows });
        await tx.query('COMMIT');
        return result;
      } catch (error) {
        await tx.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        tx.release();
      }
    },
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

async function openPglite(dir: string | null, log: (line: string) => void): Promise<Database> {
  const release = dir ? acquireDataDirLock(dir) : () => {};
  let lite: PGlite;
  try {
    lite = await PGlite.create(dir ? path.join(dir, 'pglite') : 'memory://');
  } catch (error) {
    release();
    throw new DatabaseConnectError(`Cannot open the embedded database in ${dir}: ${(error as Error).message}`);
  }
  try {
    await migrate(
      {
        query: (text, params) => lite.query<Record<string, unknown>>(text, params),
        exec: async (text) => {
          await lite.exec(text);
        },
      },
      log,
    );
  } catch (error) {
    await lite.close().catch(() => {});
    release();
    throw error;
  }
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(lite) });
  return {
    kind: 'pglite',
    prisma,
    sql: { query: async (text, params) => (await lite.query(text, params)).rows as never },
    transaction: (fn) =>
      lite.transaction((tx) =>
        fn({
          query: async (text, params) => (await tx.query(text, params)).rows as never,
          copyCsv: async (table, columns, csv) => {
            await tx.query(`COPY "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) FROM '/dev/blob' WITH (FORMAT csv)`, [], { blob: new Blob([csv]) });
          },
        }),
      ),
    async close() {
      await prisma.$disconnect();
      await lite.close();
      release();
    },
  };
}

function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}
