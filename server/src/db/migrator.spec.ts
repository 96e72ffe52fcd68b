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

describe.runIf(process.env.TEST_DB !== 'postgres')('data migrations', () => {
  it('conversation_started_by: an internal chat made before it gets its starter from its conversation.started audit event', async () => {
    const all = listMigrations();
    const at = all.findIndex((m) => m.name.endsWith('_conversation_started_by'));
    expect(at).toBeGreaterThan(0);
    const dir = mkdtempSync(path.join(tmpdir(), 'ct-migrations-'));
    for (const m of all.slice(0, at)) cpSync(path.join(MIGRATIONS_DIR, m.name), path.join(dir, m.name), { recursive: true });
    const lite = await PGlite.create();
    await migrate(connectionTo(lite), () => {}, dir);
    await lite.exec(`
      INSERT INTO "User" (id, email, name, "passwordHash", "updatedAt") VALUES ('u-ann', 'ann@example.com', 'Ann', 'x', now()), ('u-bo', 'bo@example.com', 'Bo', 'x', now());
      INSERT INTO "Org" (id, name, "joinCode", "updatedAt") VALUES ('o1', 'Clinic', 'JOIN1', now());
      INSERT INTO "Team" (id, "orgId", name) VALUES ('t1', 'o1', 'Front desk');
      INSERT INTO "Conversation" (id, "orgId", "teamId", kind) VALUES ('c-internal', 'o1', 't1', 'internal'), ('c-orphan', 'o1', 't1', 'internal'), ('c-secure', 'o1', 't1', 'secure');
      INSERT INTO "AuditEvent" (id, "orgId", "actorId", action, "targetType", "targetId", summary, "createdAt") VALUES
        ('a1', 'o1', 'u-ann', 'conversation.started', 'conversation', 'c-internal', 'Started', now() - interval '1 hour'),
        ('a2', 'o1', 'u-bo', 'conversation.participants_added', 'conversation', 'c-internal', 'Added', now()),
        ('a3', 'o1', 'u-bo', 'conversation.started', 'conversation', 'c-secure', 'Started', now());
    `);
    await migrate(connectionTo(lite));
    const rows = await lite.query<{ id: string; startedById: string | null }>(`SELECT id, "startedById" FROM "Conversation" ORDER BY id`);
    expect(rows.rows).toEqual([
      { id: 'c-internal', startedById: 'u-ann' },
      { id: 'c-orphan', startedById: null },
      { id: 'c-secure', startedById: null },
    ]);
    await lite.close();
  });
});
