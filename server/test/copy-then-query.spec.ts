import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { copyCsvThenQuery } from '../src/db/copy-then-query.js';
import { TEST_DATABASE_URL, TEST_DB } from './harness.js';

// The import's batch write on PostgreSQL: TRUNCATE, COPY and a statement as one simple query,
// the COPY data sent without waiting for the server (PGlite runs them one by one in-process).
describe.runIf(TEST_DB === 'postgres')('COPY then a statement, in one round trip (postgres)', () => {
  let client: pg.Client;
  const rows = () => client.query<{ n: number; name: string }>('SELECT n, name FROM stage ORDER BY n').then((r) => r.rows);
  const run = (csv: string, statement: string) => copyCsvThenQuery<Record<string, string | null>>(client, 'stage', ['n', 'name'], csv, statement, true);

  beforeEach(async () => {
    client = new pg.Client({ connectionString: TEST_DATABASE_URL });
    client.on('error', () => {});
    await client.connect();
    await client.query('CREATE TEMP TABLE stage (n int NOT NULL, name text)');
    await client.query(`INSERT INTO stage VALUES (0, 'before')`);
  });
  afterEach(async () => {
    await client.end().catch(() => {});
  });

  it("answers the statement's rows, as text, with the COPY's rows in place of the table's", async () => {
    const answer = await run('1,"Ana, Jr."\n2,\n3,"say ""hi"""\n', `SELECT count(*) AS rows, string_agg(coalesce(name, '-'), '|' ORDER BY n) AS names FROM stage`);
    expect(answer).toEqual([{ rows: '3', names: 'Ana, Jr.|-|say "hi"' }]);
    expect(await rows()).toEqual([
      { n: 1, name: 'Ana, Jr.' },
      { n: 2, name: null },
      { n: 3, name: 'say "hi"' },
    ]);
  });

  it('rolls everything back when the COPY fails, and the connection takes the next query', async () => {
    await expect(run('1,one\nnot a number,two\n', 'SELECT 1 AS one')).rejects.toThrow(/invalid input syntax for type integer/);
    // The TRUNCATE went with it; the CopyData the server read after its error was ignored.
    expect(await rows()).toEqual([{ n: 0, name: 'before' }]);
    expect(await run('5,five\n', 'SELECT max(n) AS n FROM stage')).toEqual([{ n: '5' }]);
  });

  it('rolls the TRUNCATE and the COPY back when the statement after them fails', async () => {
    await expect(run('1,one\n2,two\n', 'SELECT count(*) / 0 AS n FROM stage')).rejects.toThrow(/division by zero/);
    expect(await rows()).toEqual([{ n: 0, name: 'before' }]);
  });

  it('fails, not hangs, when the server ends the connection while the statement runs', async () => {
    const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    // Its failure is caught at once (it comes while this test still waits on the other connection).
    const running = run('1,one\n', 'SELECT pg_sleep(30) AS slept').then(() => null, (error: Error) => error);
    const other = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await other.connect();
    try {
      // Terminated once it is running the sleep (the COPY is done by then).
      for (let i = 0; i < 200; i++) {
        const [active] = (await other.query(`SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND wait_event = 'PgSleep'`, [pid])).rows;
        if (active) break;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      await other.query('SELECT pg_terminate_backend($1)', [pid]);
    } finally {
      await other.end();
    }
    expect((await running)?.message).toMatch(/terminat/i);
  });
});
