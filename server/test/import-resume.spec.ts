import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/db/database.js';
import { BATCH_ROWS, type Counts, ImportRunner, type JobRow } from '../src/imports/import-runner.js';
import { openTestDatabase, TEST_DB, TestClock } from './harness.js';

let database: Awaited<ReturnType<typeof openTestDatabase>>;
let db: Database;
beforeAll(async () => {
  database = await openTestDatabase();
  db = database.db;
});
afterAll(async () => {
  await database?.drop();
});

/**
 * 1,500 patients: the first batch (lines 2-1001) creates and updates patients, the second repeats
 * some of them, so stopping between the two batches splits each duplicate from its original.
 */
function messyFile(): string {
  const lines = ['phone,mrn,first_name,last_name,dob,tags'];
  for (let i = 0; i < 1500; i++) lines.push(`+1415${5_100_000 + i},R-${i},First${i},Last${i},1980-01-${String((i % 28) + 1).padStart(2, '0')},`);
  const set = (line: number, row: string) => (lines[line - 1] = row);
  // Second batch, repeating lines of the first (each an error in the dry run):
  set(1_010, '+14155100003,R-3,Renamed,Last3,1980-01-04,'); // same MRN as line 5, other name: would update
  set(1_011, '+14155100007,R-7,First7,Last7,1980-01-08,'); // line 9 again, identical: would be unchanged
  set(1_012, '+14159990001,,Ann,,,vip'); // the phone line 20 moved an existing patient away from
  set(1_013, '+14159990002,,Bo,Moss,,'); // the existing patient line 21 updated, matched by phone
  // First batch, touching the directory's existing patients:
  set(20, '+14155550020,E-1,Ann,Diaz,,'); // MRN E-1 wins: Ann's phone moves from +14159990001
  set(21, '+14159990002,,Bo,Moss,1970-02-02,'); // by phone: Bo gets a last name and a date of birth
  return lines.join('\n');
}

async function seedOrg(): Promise<{ orgId: string; userId: string }> {
  const user = await db.prisma.user.create({ data: { email: `${randomUUID()}@clinic.example`, name: 'Importer', passwordHash: 'x' } });
  const org = await db.prisma.org.create({ data: { name: 'Resume Clinic', joinCode: randomUUID() } });
  await db.prisma.patient.createMany({
    data: [
      { orgId: org.id, mrn: 'E-1', phone: '+14159990001', firstName: 'Ann', lastName: 'Diaz' },
      { orgId: org.id, phone: '+14159990002', firstName: 'Bo' },
    ],
  });
  return { orgId: org.id, userId: user.id };
}

/** A dry-run import job of the file in a fresh org with the same directory, ready to apply. */
async function analyzedJob(clock: TestClock, csv = messyFile()): Promise<{ job: JobRow; dryRun: Counts }> {
  const { orgId, userId } = await seedOrg();
  const file = await db.prisma.importJob.create({ data: { orgId, createdById: userId, fileName: 'resume.csv', fileHash: randomUUID(), fileSize: 0, status: 'analyzing' } });
  await db.prisma.importChunk.create({ data: { jobId: file.id, seq: 0, data: Buffer.from(csv) } });
  const job: JobRow = { id: file.id, orgId, processedRows: 0, totalRows: 0, created: 0, updated: 0, unchanged: 0, rejected: 0 };
  const analyzed = await new ImportRunner(db, clock).analyze(job, async () => {});
  if (analyzed === 'interrupted') throw new Error('the dry run was interrupted');
  await db.prisma.importJob.update({ where: { id: job.id }, data: { status: 'running', totalRows: analyzed.total } });
  return { job: { ...job, totalRows: analyzed.total }, dryRun: analyzed.counts };
}

/** The job as the database has it (what a restarted worker claims). */
async function reloaded(jobId: string): Promise<JobRow & { status: string }> {
  return db.prisma.importJob.findUniqueOrThrow({ where: { id: jobId }, select: { id: true, orgId: true, status: true, processedRows: true, totalRows: true, created: true, updated: true, unchanged: true, rejected: true } });
}

/**
 * The worker dies right after committing the job's first batch (lines 2-1001), and another
 * process resumes the job from what the database says.
 */
async function crashAfterFirstBatchThenResume(clock: TestClock, job: JobRow): Promise<void> {
  const crash = new Error('killed after the first batch');
  const dying = new ImportRunner(db, clock, (_job, batch) => {
    if (batch === 1) throw crash;
  });
  await expect(dying.apply(job)).rejects.toBe(crash);
  const stopped = await reloaded(job.id);
  expect(stopped.processedRows).toBe(BATCH_ROWS);
  expect(await new ImportRunner(db, clock).apply(stopped)).toBe('completed');
}

async function patientsOf(orgId: string) {
  const rows = await db.prisma.patient.findMany({ where: { orgId }, select: { mrn: true, phone: true, firstName: true, lastName: true, dob: true, tags: true }, orderBy: [{ phone: 'asc' }, { mrn: 'asc' }] });
  return rows;
}

describe(`an import resumed at a batch boundary (${TEST_DB})`, () => {
  it('ends exactly as the dry run and an uninterrupted apply: duplicates of lines before the stop stay rejected', async () => {
    const clock = new TestClock();
    const whole = await analyzedJob(clock);
    const split = await analyzedJob(clock);
    expect(split.dryRun).toEqual(whole.dryRun);
    expect(whole.dryRun).toEqual({ created: 1495, updated: 2, unchanged: 0, rejected: 3 });

    expect(await new ImportRunner(db, clock).apply(whole.job)).toBe('completed');
    const uninterrupted = await reloaded(whole.job.id);
    expect(uninterrupted).toMatchObject({ processedRows: 1500, ...whole.dryRun });

    await crashAfterFirstBatchThenResume(clock, split.job);

    const resumed = await reloaded(split.job.id);
    expect(resumed).toMatchObject({ processedRows: 1500, ...whole.dryRun });
    expect(await patientsOf(split.job.orgId)).toEqual(await patientsOf(whole.job.orgId));
    const renamed = await db.prisma.patient.findFirstOrThrow({ where: { orgId: split.job.orgId, mrn: 'R-3' } });
    expect(renamed.firstName).toBe('First3');
    // Nothing is kept of a finished import's lines.
    expect(await db.prisma.importMemory.count({ where: { jobId: { in: [whole.job.id, split.job.id] } } })).toBe(0);
    // Nor of its rows on the connections that staged them: each staging table emptied at its
    // batch's commit (a table with rows keeps its pages; an emptied one is cut to none).
    const [staging] = await db.sql.query<{ tables: number; bytes: number }>(
      `SELECT count(*)::int AS tables, coalesce(sum(pg_relation_size(oid)), 0)::int AS bytes FROM pg_class WHERE relname = 'ImportStage' AND relpersistence = 't'`,
    );
    expect(staging!.tables).toBeGreaterThan(0);
    expect(staging!.bytes).toBe(0);
  });
});

describe(`the apply reads the rows its dry run checked (${TEST_DB})`, () => {
  it('writes them without the file, the same as from the file; a job without all of them (analyzed before they were stored) reads the file', async () => {
    const clock = new TestClock();
    const fromFile = await analyzedJob(clock);
    const stored = await analyzedJob(clock);
    const partial = await analyzedJob(clock);
    // The dry run stored each batch of the file: lines 2-1001, then 1002-1501.
    const batches = await db.prisma.importCheckedBatch.findMany({ where: { jobId: stored.job.id }, orderBy: { seq: 'asc' } });
    expect(batches.map((b) => [b.seq, b.firstLine, b.seen])).toEqual([
      [0, 2, 1000],
      [1, 1002, 1500],
    ]);
    // Without the file, the stored rows are all the apply has.
    await db.prisma.importChunk.deleteMany({ where: { jobId: stored.job.id } });
    // As an earlier version's dry run left it: nothing stored; or a set that stops short.
    await db.prisma.importCheckedBatch.deleteMany({ where: { jobId: fromFile.job.id } });
    await db.prisma.importCheckedBatch.deleteMany({ where: { jobId: partial.job.id, seq: 1 } });

    for (const { job } of [fromFile, stored, partial]) expect(await new ImportRunner(db, clock).apply(job)).toBe('completed');
    for (const { job, dryRun } of [fromFile, stored, partial]) expect(await reloaded(job.id)).toMatchObject({ processedRows: 1500, ...dryRun });
    const written = await patientsOf(fromFile.job.orgId);
    expect(written).toHaveLength(2 + fromFile.dryRun.created);
    expect(await patientsOf(stored.job.orgId)).toEqual(written);
    expect(await patientsOf(partial.job.orgId)).toEqual(written);
    // A finished import keeps none of them.
    expect(await db.prisma.importCheckedBatch.count({ where: { jobId: { in: [fromFile.job.id, stored.job.id, partial.job.id] } } })).toBe(0);
  });

  it('writes the rows as the dry run read them, even if the org changed its default country since', async () => {
    const clock = new TestClock();
    // National numbers, read as US ones by the dry run (the org's default country then).
    const { job, dryRun } = await analyzedJob(clock, 'phone,first_name\n(415) 555-0100,Ann\n(415) 555-0101,Bo\n');
    expect(dryRun).toEqual({ created: 2, updated: 0, unchanged: 0, rejected: 0 });
    // In the United Kingdom they are not phone numbers at all.
    await db.prisma.org.update({ where: { id: job.orgId }, data: { defaultCountry: 'GB' } });
    expect(await new ImportRunner(db, clock).apply(job)).toBe('completed');
    expect(await reloaded(job.id)).toMatchObject({ processedRows: 2, ...dryRun });
    // Beside the org's two patients (seedOrg), the two new ones, with US numbers.
    const written = await db.prisma.patient.findMany({ where: { orgId: job.orgId }, select: { phone: true }, orderBy: { phone: 'asc' } });
    expect(written.map((p) => p.phone)).toEqual(['+14155550100', '+14155550101', '+14159990001', '+14159990002']);
  });

  it('resumes from the stored rows after a crash, exactly as an uninterrupted apply', async () => {
    const clock = new TestClock();
    const whole = await analyzedJob(clock);
    const split = await analyzedJob(clock);
    await db.prisma.importChunk.deleteMany({ where: { jobId: { in: [whole.job.id, split.job.id] } } });
    expect(await new ImportRunner(db, clock).apply(whole.job)).toBe('completed');
    await crashAfterFirstBatchThenResume(clock, split.job);
    expect(await reloaded(split.job.id)).toMatchObject({ processedRows: 1500, ...split.dryRun });
    expect(await patientsOf(split.job.orgId)).toEqual(await patientsOf(whole.job.orgId));
  });
});

describe(`an import racing another writer (${TEST_DB})`, () => {
  it('counts a row rejected when someone gives its MRN to another patient after the batch was matched, and writes the rest', async () => {
    const clock = new TestClock();
    const { job, dryRun } = await analyzedJob(clock);
    // The same database, with another writer creating MRN R-100 right after the apply's first match lookup.
    let raced = false;
    const racing: Database = {
      ...db,
      sql: {
        query: async (text, params) => {
          const rows = await db.sql.query(text, params);
          if (!raced && text.includes('FROM "Patient"')) {
            raced = true;
            await db.prisma.patient.create({ data: { orgId: job.orgId, mrn: 'R-100', phone: '+14155559999', firstName: 'Someone' } });
          }
          return rows as never;
        },
      },
    };
    expect(await new ImportRunner(racing, clock).apply(job)).toBe('completed');
    expect(raced).toBe(true);
    expect(await reloaded(job.id)).toMatchObject({ processedRows: 1500, created: dryRun.created - 1, updated: dryRun.updated, rejected: dryRun.rejected + 1 });
    expect(await db.prisma.patient.count({ where: { orgId: job.orgId } })).toBe(2 + dryRun.created);
    expect((await db.prisma.patient.findFirstOrThrow({ where: { orgId: job.orgId, mrn: 'R-100' } })).firstName).toBe('Someone');
  });
});

describe(`an import cancelled while it applies (${TEST_DB})`, () => {
  // PGlite runs one statement at a time: a cancel from outside would wait for the batch's session.
  it.runIf(TEST_DB === 'postgres')('writes nothing of the batch in flight: the patients, progress and counts stop at the last committed batch', async () => {
    const clock = new TestClock();
    const { job } = await analyzedJob(clock);
    // The cancel commits while the second batch is on its way to be written (staged and written
    // by one query, sent right after the cancel's commit).
    let cancelled = false;
    const cancelling: Database = {
      ...db,
      session: (fn) =>
        db.session((sql) =>
          fn({
            ...sql,
            copyCsvThenQuery: async (...args) => {
              if (!cancelled && job.processedRows === BATCH_ROWS) {
                cancelled = true;
                await db.sql.query(`UPDATE "ImportJob" SET status = 'cancelled' WHERE id = $1`, [job.id]);
              }
              return sql.copyCsvThenQuery(...args);
            },
          }),
        ),
    };
    expect(await new ImportRunner(cancelling, clock).apply(job)).toBe('cancelled');
    expect(cancelled).toBe(true);
    const after = await reloaded(job.id);
    expect(after).toMatchObject({ status: 'cancelled', processedRows: BATCH_ROWS });
    // Only the first batch's patients (plus the two seeded ones): its counts are the job's.
    expect(await db.prisma.patient.count({ where: { orgId: job.orgId } })).toBe(2 + after.created);
    expect(await db.prisma.patient.count({ where: { orgId: job.orgId, mrn: 'R-1200' } })).toBe(0);
    expect(await db.prisma.importMemory.count({ where: { jobId: job.id } })).toBe(0);
  });
});

describe(`an import whose batch fails after it was staged (${TEST_DB})`, () => {
  it('writes nothing of that batch, and the retry on the same database writes each row once, as the dry run said', async () => {
    const clock = new TestClock();
    const { job, dryRun } = await analyzedJob(clock);
    // The second batch's write statement fails at its very end, when its rows are staged and
    // its patients inserted and updated (division by zero in what it returns).
    let failed = false;
    const failing: Database = {
      ...db,
      session: (fn) =>
        db.session((sql) =>
          fn({
            ...sql,
            copyCsvThenQuery: async (table, columns, csv, statement, options) => {
              if (failed || job.processedRows !== BATCH_ROWS) return sql.copyCsvThenQuery(table, columns, csv, statement, options);
              failed = true;
              expect(statement).toContain('RETURNING n.created,');
              return sql.copyCsvThenQuery(table, columns, csv, statement.replace('RETURNING n.created,', 'RETURNING n.created / 0 AS created,'), options);
            },
          }),
        ),
    };
    await expect(new ImportRunner(failing, clock).apply(job)).rejects.toThrow(/division by zero/);
    expect(failed).toBe(true);
    const stopped = await reloaded(job.id);
    expect(stopped.processedRows).toBe(BATCH_ROWS);
    expect(await db.prisma.patient.count({ where: { orgId: job.orgId } })).toBe(2 + stopped.created);
    // Whatever the failed batch left staged is gone: nothing of it is written twice.
    expect(await new ImportRunner(db, clock).apply(stopped)).toBe('completed');
    expect(await reloaded(job.id)).toMatchObject({ processedRows: 1500, ...dryRun });
    expect(await db.prisma.patient.count({ where: { orgId: job.orgId } })).toBe(2 + dryRun.created);
  });
});

describe(`an import behind a pooler that separates its statements (${TEST_DB})`, () => {
  // PGlite has one connection: its statements cannot be separated.
  it.runIf(TEST_DB === 'postgres')('stops with a message and writes nothing of the batch when its staging table is on another server connection', async () => {
    const clock = new TestClock();
    const { job } = await analyzedJob(clock);
    // A transaction-mode pooler: the staging table is created on another server connection
    // than the one the batch's write (one simple query) reaches, which has none.
    const pooled: Database = {
      ...db,
      session: (fn) =>
        db.session(async (sql) => {
          await sql.query('DROP TABLE IF EXISTS pg_temp."ImportStage"');
          sql.state.clear();
          return fn({ ...sql, query: (text, params) => db.session((other) => other.query(text, params)) });
        }),
    };
    await expect(new ImportRunner(pooled, clock).apply(job)).rejects.toThrow(/session-mode pooler/);
    expect(await reloaded(job.id)).toMatchObject({ status: 'running', processedRows: 0, created: 0 });
    expect(await db.prisma.patient.count({ where: { orgId: job.orgId } })).toBe(2);
  });
});
