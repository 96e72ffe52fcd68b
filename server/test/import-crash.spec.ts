import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTRPCClient, httpBatchLink } from '@trpc/client';
import superjson from 'superjson';
import { afterAll, describe, expect, it } from 'vitest';
import type { AppRouter } from '../src/trpc/app-router.js';
import { DEMO_USERS } from '../src/seed/demo.js';
import { bootServerProcess, openTestDatabase, SERVER_MAIN, TEST_DB, waitFor } from './harness.js';


const client = (url: string, token?: string) =>
  createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: `${url}/trpc`, transformer: superjson, headers: () => (token ? { authorization: `Bearer ${token}` } : {}) })] });

describe.runIf(existsSync(SERVER_MAIN))('an import interrupted by a crash', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it(`resumes after the process is killed mid-import and ends with exact counts (${TEST_DB})`, async () => {
    let dbEnv: Record<string, string>;
    if (TEST_DB === 'postgres') {
      const scratch = await openTestDatabase();
      await scratch.db.close(); // the child process owns the database; keep only the URL
      dbEnv = { DATABASE_URL: scratch.url! };
      cleanups.push(async () => {
        const pg = (await import('pg')).default;
        const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' });
        await admin.connect();
        await admin.query(`DROP DATABASE IF EXISTS ${new URL(scratch.url!).pathname.slice(1)} WITH (FORCE)`);
        await admin.end();
      });
    } else {
      dbEnv = { DATA_DIR: mkdtempSync(path.join(tmpdir(), 'ct-crash-')) };
    }

    // First life: the worker kills its own process right after committing its third batch.
    // The demo seed gives an account to sign in with (sign-up needs the emailed link).
    const first = bootServerProcess({ ...dbEnv, SEED_DEMO: '1', CARETEXT_FAULT_CRASH_AFTER_IMPORT_BATCHES: '3' });
    cleanups.push(async () => void first.child.kill('SIGKILL'));
    const url1 = await first.url;
    const { token } = await client(url1).auth.signIn.mutate({ email: DEMO_USERS.admin.email, password: DEMO_USERS.admin.password, client: 'extension' });
    await client(url1, token!).orgs.create.mutate({ name: 'Crash Clinic' });
    const rows = ['phone,mrn,first_name,last_name'];
    for (let i = 0; i < 10_000; i++) rows.push(`+1415${String(5_000_000 + i)},C-${i},F${i},L${i}`);
    const upload = await fetch(`${url1}/api/imports/patients?name=crash.csv`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: rows.join('\n') });
    const { jobId } = (await upload.json()) as { jobId: string };
    const api1 = client(url1, token!);
    await waitFor(async () => (await api1.imports.get.query({ jobId })).status === 'ready', 2000);
    await api1.imports.confirm.mutate({ jobId }).catch(() => {}); // the process may die before it answers
    expect(await first.exited).toBe('SIGKILL');

    // Second life: same database, no fault. The job resumes where the last commit left it.
    const second = bootServerProcess({ ...dbEnv, SEED_DEMO: '0' });
    cleanups.push(async () => {
      second.child.kill('SIGTERM');
      await second.exited;
    });
    const url2 = await second.url;
    const api2 = client(url2, token!);
    const done = await waitFor(async () => {
      const job = await api2.imports.get.query({ jobId });
      return job.status === 'completed' || job.status === 'failed' ? job : null;
    }, 4000);
    expect(second.output()).toContain('resuming 1 interrupted import(s)');
    expect(done).toMatchObject({ status: 'completed', processedRows: 10_000, applied: { created: 10_000, updated: 0, unchanged: 0, rejected: 0 } });
    expect((await api2.patients.list.query({ pageSize: 1 })).total).toBe(10_000);
  }, 120_000);
});
