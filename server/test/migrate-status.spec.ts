import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/db/database.js';
import { listMigrations } from '../src/db/migrator.js';
import { openTestDatabase } from './harness.js';

/**
 * `prisma migrate status` (prisma 6.19.3 via server/tools/migrations, driver adapter, no native
 * engine) must agree with the bookkeeping the app's own migrator writes to `_prisma_migrations`.
 * It needs a real server, so it runs in the PostgreSQL pass only.
 */
const TOOL = fileURLToPath(new URL('../tools/migrations/migrations.mjs', import.meta.url));

function status(url: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TOOL, 'status', '--url', url], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe.runIf(process.env.TEST_DB === 'postgres')('prisma migrate status agrees with the app migrator', () => {
  let database: { db: Database; url: string | null; drop(): Promise<void> };
  let url: string;
  const local = listMigrations();
  const last = local.at(-1)!;

  beforeAll(async () => {
    // A fresh scratch database; openDatabase() runs the app's migrator on it.
    database = await openTestDatabase();
    url = database.url!;
  });

  afterAll(async () => {
    await database?.drop(); // closes the pool, then DROP DATABASE ... WITH (FORCE)
  });

  it('reports up to date after the app applied every migration', async () => {
    const rows = await database.db.sql.query<{ migration_name: string }>(
      'SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL ORDER BY migration_name',
    );
    expect(rows.map((r) => r.migration_name)).toEqual(local.map((m) => m.name));

    const result = await status(url);
    expect(result.output).toContain('Database schema is up to date!');
    expect(result.output).toContain(`${local.length} migration${local.length > 1 ? 's' : ''} found`);
    expect(result.code, result.output).toBe(0);
  });

  it('reports the last migration as not yet applied once its row is gone', async () => {
    const deleted = await database.db.sql.query<{ migration_name: string }>(
      `DELETE FROM "_prisma_migrations" WHERE migration_name = $1 RETURNING migration_name`,
      [last.name],
    );
    expect(deleted).toHaveLength(1);

    const result = await status(url);
    expect(result.code, result.output).not.toBe(0);
    // Exactly the deleted one is listed as pending.
    expect(result.output).toContain(`Following migration have not yet been applied:\n${last.name}\n\n`);
    expect(result.output).not.toContain('Database schema is up to date!');
  });

  it('reports a migration the app recorded as failed', async () => {
    // What the migrator writes when a migration's SQL fails: a row without finished_at.
    await database.db.sql.query(
      'INSERT INTO "_prisma_migrations" (id, checksum, migration_name, logs, started_at) VALUES ($1, $2, $3, $4, now())',
      [randomUUID(), last.checksum, last.name, 'simulated failure'],
    );

    const result = await status(url);
    expect(result.code, result.output).not.toBe(0);
    expect(result.output).toContain(`have failed:\n${last.name}`);
  });
});
