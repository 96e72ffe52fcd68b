import pg from 'pg';

/** Fails the PostgreSQL run early with one clear message instead of one error per test. */
export default async function setup() {
  if (process.env.TEST_DB !== 'postgres') return;
  const url = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    await client.end();
  } catch (error) {
    throw new Error(`The PostgreSQL suite needs a server at ${url} (set TEST_DATABASE_URL): ${(error as Error).message}`);
  }
}
