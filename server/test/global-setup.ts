import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { pgliteTemplate } from '../src/db/database.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A migrated, empty PGlite database dumped to this file: each test database starts from it (harness.ts). */
    pgliteTemplate: string | null;
  }
}

/**
 * PGlite: migrates one database and dumps it, so each test database loads the dump instead of
 * creating a cluster and applying every migration (seconds each, a hundred times a run).
 * PostgreSQL: fails the run early with one clear message instead of one error per test.
 */
/** What Vitest hands a global setup (typed here: importing vitest/node's types brings the DOM's into this package). */
type TestProject = { config: { env?: Record<string, unknown> }; provide(key: 'pgliteTemplate', value: string | null): void };

export default async function setup(project: TestProject) {
  const testDb = (project.config.env?.TEST_DB as string | undefined) ?? process.env.TEST_DB ?? 'pglite';
  if (testDb !== 'postgres') {
    const dir = await mkdtemp(path.join(tmpdir(), 'caretext-pglite-template-'));
    const file = path.join(dir, 'template.tar');
    await writeFile(file, Buffer.from(await (await pgliteTemplate()).arrayBuffer()));
    project.provide('pgliteTemplate', file);
    return () => rm(dir, { recursive: true, force: true });
  }
  project.provide('pgliteTemplate', null);
  const url = (project.config.env?.TEST_DATABASE_URL as string | undefined) ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    await client.end();
  } catch (error) {
    throw new Error(`The PostgreSQL suite needs a server at ${url} (set TEST_DATABASE_URL): ${(error as Error).message}`);
  }
}
