import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** One dedicated connection: parameterized single statements and multi-statement scripts. */
export interface MigrationConnection {
  query(sql: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
  exec(sql: string): Promise<void>;
}

export interface MigrationResult {
  applied: string[];
  upToDate: boolean;
}

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../prisma/migrations', import.meta.url));

/** The key `prisma migrate deploy` takes, so our migrator and Prisma's never run at once. */
const ADVISORY_LOCK_KEY = 72707369;

export class MigrationError extends Error {}

type LocalMigration = { name: string; sql: string; checksum: string };

export function listMigrations(dir = MIGRATIONS_DIR): LocalMigration[] {
  if (!existsSync(dir)) throw new MigrationError(`Migrations folder not found: ${dir}`);
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(dir, entry.name, 'migration.sql')))
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const bytes = readFileSync(path.join(dir, name, 'migration.sql'));
      return { name, sql: bytes.toString('utf8'), checksum: createHash('sha256').update(bytes).digest('hex') };
    });
}

/**
 * Applies pending migrations with bookkeeping compatible with Prisma's `_prisma_migrations`
 * table, so `prisma migrate status` agrees with what the app did.
 */
export async function migrate(
  conn: MigrationConnection,
  log: (line: string) => void = () => {},
  dir = MIGRATIONS_DIR,
): Promise<MigrationResult> {
  const local = listMigrations(dir);
  await conn.query('SELECT pg_advisory_lock($1)', [ADVISORY_LOCK_KEY]);
  try {
    await conn.exec(`CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
      "id" VARCHAR(36) PRIMARY KEY NOT NULL,
      "checksum" VARCHAR(64) NOT NULL,
      "finished_at" TIMESTAMPTZ,
      "migration_name" VARCHAR(255) NOT NULL,
      "logs" TEXT,
      "rolled_back_at" TIMESTAMPTZ,
      "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
      "applied_steps_count" INTEGER NOT NULL DEFAULT 0
    )`);
    const { rows } = await conn.query(
      'SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at',
    );
    const failed = rows.find((row) => row.finished_at == null && row.rolled_back_at == null);
    if (failed) {
      throw new MigrationError(
        `Migration ${String(failed.migration_name)} failed earlier and was not resolved. ` +
          'Fix the database by hand, then mark it with ' +
          `\`UPDATE "_prisma_migrations" SET rolled_back_at = now() WHERE migration_name = '${String(failed.migration_name)}'\` ` +
          'to retry it.',
      );
    }
    const applied = new Map(
      rows.filter((row) => row.finished_at != null).map((row) => [String(row.migration_name), String(row.checksum)]),
    );
    const localNames = new Set(local.map((m) => m.name));
    for (const [name, checksum] of applied) {
      if (!localNames.has(name)) log(`warning: migration ${name} is applied in the database but missing locally`);
      else if (local.find((m) => m.name === name)!.checksum !== checksum)
        log(`warning: migration ${name} was modified after it was applied`);
    }

    const pending = local.filter((m) => !applied.has(m.name));
    for (const migration of pending) {
      const id = randomUUID();
      try {
        await conn.exec('BEGIN');
        await conn.query(
          'INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at) VALUES ($1, $2, $3, now())',
          [id, migration.checksum, migration.name],
        );
        await conn.exec(migration.sql);
        await conn.query(
          'UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1',
          [id],
        );
        await conn.exec('COMMIT');
        log(`applied migration ${migration.name}`);
      } catch (error) {
        await conn.exec('ROLLBACK').catch(() => {});
        const message = error instanceof Error ? error.message : String(error);
        await conn.query(
          'INSERT INTO "_prisma_migrations" (id, checksum, migration_name, logs, started_at) VALUES ($1, $2, $3, $4, now())',
          [randomUUID(), migration.checksum, migration.name, message],
        );
        throw new MigrationError(`Migration ${migration.name} failed and was rolled back: ${message}`);
      }
    }
    return { applied: pending.map((m) => m.name), upToDate: pending.length === 0 };
  } finally {
    await conn.query('SELECT pg_advisory_unlock($1)', [ADVISORY_LOCK_KEY]).catch(() => {});
  }
}
