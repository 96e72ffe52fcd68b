import { mkdirSync, mkdtempSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { describe, expect, it } from 'vitest';
import { listMigrations, type MigrationConnection, migrate, MIGRATIONS_DIR } from './migrator.js';

function connectionTo(lite: PGlite): MigrationConnection {
  return {
    query: (text, params) => lite.query<Record<string, unknown>>(text, params),
    exec: async (text) => {
      await lite.exec(text);
    },
  };
}

describe.runIf(process.env.TEST_DB !== 'postgres')('migrator on PGlite', () => {
  it('applies every committed migration once; a second run is a no-op', async () => {
    const lite = await PGlite.create();
    const first = await migrate(connectionTo(lite));
    expect(first.applied).toEqual(listMigrations().map((m) => m.name));
    expect(first.applied.length).toBeGreaterThan(0);
    const tables = await lite.query<{ tablename: string }>("SELECT tablename FROM pg_tables WHERE schemaname = 'public'");
    expect(tables.rows.map((r) => r.tablename)).toEqual(expect.arrayContaining(['User', 'Org', 'Membership', 'AuditEvent']));

    const second = await migrate(connectionTo(lite));
    expect(second).toEqual({ applied: [], upToDate: true });
    const rows = await lite.query<{ n: number }>('SELECT count(*)::int AS n FROM "_prisma_migrations" WHERE finished_at IS NOT NULL');
    expect(rows.rows[0]!.n).toBe(first.applied.length);
    await lite.close();
  });

  it('rolls back a broken migration, records the failure, and refuses to start until it is resolved', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ct-migrations-'));
    cpSync(MIGRATIONS_DIR, dir, { recursive: true });
    mkdirSync(path.join(dir, '29990101000000_broken'));
    writeFileSync(path.join(dir, '29990101000000_broken', 'migration.sql'), 'CREATE TABLE "Half" (id int);\nSELECT no_such_function();');
    const lite = await PGlite.create();
    await expect(migrate(connectionTo(lite), () => {}, dir)).rejects.toThrow(/29990101000000_broken failed and was rolled back/);
    const half = await lite.query("SELECT 1 FROM pg_tables WHERE tablename = 'Half'");
    expect(half.rows).toHaveLength(0);
    await expect(migrate(connectionTo(lite), () => {}, dir)).rejects.toThrow(/failed earlier and was not resolved/);
    await lite.close();
  });

  it('warns when an applied migration was edited afterwards', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ct-migrations-'));
    cpSync(MIGRATIONS_DIR, dir, { recursive: true });
    const lite = await PGlite.create();
    await migrate(connectionTo(lite), () => {}, dir);
    const [first] = listMigrations(dir);
    writeFileSync(path.join(dir, first!.name, 'migration.sql'), `${first!.sql}\n-- edited`);
    const lines: string[] = [];
    await migrate(connectionTo(lite), (line) => lines.push(line), dir);
    expect(lines).toEqual([`warning: migration ${first!.name} was modified after it was applied`]);
    await lite.close();
  });
});
