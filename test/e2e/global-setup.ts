import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as DatabaseModule from '../../server/src/db/database.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A migrated, empty PGlite data directory each app copies (harness.ts startApp), or null. */
    pgliteDataDir: string | null;
  }
}

const SERVER_DIST = fileURLToPath(new URL('../../server/dist', import.meta.url));

/**
 * Creating a PGlite cluster and applying every migration costs each e2e app seconds; one migrated
 * data directory made here is copied instead (a tenth of that). Without a built server (the
 * harness then says what to do) or with TEST_E2E_DATABASE_URL, apps start as before.
 */
/** What Vitest hands a global setup (typed here: importing vitest/node's types brings the DOM's into this package). */
type TestProject = { config: { env?: Record<string, unknown> }; provide(key: 'pgliteDataDir', value: string | null): void };

export default async function setup(project: TestProject) {
  const database = path.join(SERVER_DIST, 'db/database.js');
  if (process.env.TEST_E2E_DATABASE_URL || !existsSync(database)) {
    project.provide('pgliteDataDir', null);
    return;
  }
  const { openDatabase } = (await import(pathToFileURL(database).href)) as typeof DatabaseModule;
  const dir = await mkdtemp(path.join(tmpdir(), 'caretext-e2e-template-'));
  const db = await openDatabase({ kind: 'pglite', dir });
  await db.close();
  project.provide('pgliteDataDir', path.join(dir, 'pglite'));
  return () => rm(dir, { recursive: true, force: true });
}
