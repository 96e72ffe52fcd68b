import { analyzeHeader, checkPatientRow, cleanIdentifier, type HeaderAnalysis, type RowIssue, stripControlChars } from '@caretext/shared';
import { type Database, type SqlRunner, sqlLiteral } from '../db/database.js';
import type { Clock } from '../clock.js';
import { readCsvRowBatches } from './csv-rows.js';
import { ImportMatcher, type Outcome, type ValidRow } from './matcher.js';

/** Rows per batch: staged by COPY, then written by one atomic statement (see writeBatch). */
export const BATCH_ROWS = 1000;
export const CHUNK_BYTES = 1024 * 1024;

export type Counts = { created: number; updated: number; unchanged: number; rejected: number };
export type JobRow = { id: string; orgId: string; processedRows: number; totalRows: number } & Counts;

export type ImportReport = {
  header: { columns: string[]; unrecognized: HeaderAnalysis['unrecognized']; duplicates: HeaderAnalysis['duplicates']; errors: string[] };
  dryRun: Counts & { total: number; warnings: number };
  previousImport: { at: string; by: string } | null;
};

type RawRow = { line: number; cells: string[] };

/**
 * What an import reads and keeps of the header row. The report is stored on the job and sent
 * with every `imports.get` poll, so a 10 MB header cell or a 10,000-column file must not
 * become a 10 MB answer: cells are cut to MAX_HEADER_CELL characters, and a file with more
 * than MAX_HEADER_COLUMNS columns is refused with a message saying so.
 */
export const MAX_HEADER_COLUMNS = 200;
export const MAX_HEADER_CELL = 100;

/** The header as analyzed and stored: control characters removed (jsonb cannot hold NUL), invisible ones too, cut short. */
export function capHeader(cells: string[]): string[] {
  return cells.slice(0, MAX_HEADER_COLUMNS).map((cell) => {
    const clean = cleanIdentifier(stripControlChars(cell.slice(0, MAX_HEADER_CELL * 4)));
    return clean.length > MAX_HEADER_CELL ? `${clean.slice(0, MAX_HEADER_CELL)}…` : clean;
  });
}

/** Analyzes the capped header; a file wider than the cap gets a header error (the file is refused). */
function readHeader(cells: string[]): { stored: string[]; analysis: HeaderAnalysis } {
  const stored = capHeader(cells);
  const analysis = analyzeHeader(stored);
  if (cells.length > MAX_HEADER_COLUMNS) {
    analysis.errors.push(
      `The header row has ${cells.length.toLocaleString('en-US')} columns; an import reads at most ${MAX_HEADER_COLUMNS}. Keep the patient columns (phone, mrn, first_name, last_name, dob, email…) and remove the others, then upload the file again.`,
    );
  }
  return { stored, analysis };
}

/**
 * Streams the stored upload back, one 1 MB chunk at a time. From PostgreSQL as base64 text: a
 * bytea comes as hex text (2 MB per chunk) that pg then decodes in JavaScript; base64 is a third
 * smaller and Node decodes it natively (twice per import, dry run and apply). PGlite hands bytes.
 */
async function* fileChunks(db: Database, jobId: string): AsyncGenerator<Uint8Array> {
  const base64 = db.kind === 'postgres';
  for (let seq = 0; ; seq++) {
    const [chunk] = await db.sql.query<{ data: Uint8Array | string }>(`SELECT ${base64 ? `encode(data, 'base64') AS data` : 'data'} FROM "ImportChunk" WHERE "jobId" = $1 AND seq = $2`, [jobId, seq]);
    if (!chunk) return;
    yield typeof chunk.data === 'string' ? Buffer.from(chunk.data, 'base64') : chunk.data;
  }
}

async function* batches(db: Database, jobId: string): AsyncGenerator<{ header: string[] } | { rows: RawRow[] }> {
  let line = 0;
  let rows: RawRow[] = [];
  for await (const parsed of readCsvRowBatches(fileChunks(db, jobId))) {
    for (const cells of parsed) {
      line += 1;
      if (line === 1) {
        yield { header: cells };
        continue;
      }
      rows.push({ line, cells });
      if (rows.length === BATCH_ROWS) {
        yield { rows };
        rows = [];
      }
    }
  }
  if (rows.length) yield { rows };
  if (line === 0) yield { header: [] };
}

type Checked = { outcomes: Outcome[]; raw: Map<number, string[]> };

/** A batch's rows as the checks left them: the valid ones (values normalized) with their warnings, and the rejected ones. */
type CheckedRows = { valid: ValidRow[]; warnings: RowIssue[][]; rejected: Outcome[] };

function checkRows(rows: RawRow[], header: HeaderAnalysis, options: { defaultCountry: string; today: Date }, raw?: Map<number, string[]>): CheckedRows {
  const rejected: Outcome[] = [];
  const valid: ValidRow[] = [];
  /** The valid rows' warnings, in the order of `valid` (resolve answers in that order). */
  const warnings: RowIssue[][] = [];
  for (const row of rows) {
    const check = checkPatientRow(row.cells, header, options);
    raw?.set(row.line, row.cells);
    if (!check.values) rejected.push({ kind: 'rejected', line: row.line, issues: check.issues });
    else {
      valid.push({ line: row.line, values: check.values });
      warnings.push(check.issues);
    }
  }
  return { valid, warnings, rejected };
}

/** Matches the checked rows (in line order, the rejected ones among them). */
async function resolveRows(checked: CheckedRows, matcher: ImportMatcher): Promise<Outcome[]> {
  const resolved = await matcher.resolve(checked.valid);
  resolved.forEach((outcome, i) => {
    const warnings = checked.warnings[i];
    if (warnings?.length) outcome.issues.unshift(...warnings);
  });
  return mergeByLine(checked.rejected, resolved);
}

/**
 * A checked batch as the dry run stores it (ImportCheckedBatch.rows): each valid row as an
 * array, [line, phone, mrn, firstName, lastName, preferredName, dob, email, tags, location,
 * provider]; JSON.parse gives them back far faster than the file is parsed and checked again.
 */
function storedRows(valid: ValidRow[]): string {
  return JSON.stringify(valid.map(({ line, values: v }) => [line, v.phone, v.mrn, v.firstName, v.lastName, v.preferredName, v.dob, v.email, v.tags, v.location, v.provider]));
}

type StoredRow = [number, string, string | null, string | null, string | null, string | null, string | null, string | null, string[], string | null, string | null];

function readStoredRows(json: string): ValidRow[] {
  return (JSON.parse(json) as StoredRow[]).map(([line, phone, mrn, firstName, lastName, preferredName, dob, email, tags, location, provider]) => ({
    line,
    values: { phone, mrn, firstName, lastName, preferredName, dob, email, tags, location, provider },
  }));
}

/** Two lists of outcomes, each in line order, as one in line order. */
function mergeByLine(a: Outcome[], b: Outcome[]): Outcome[] {
  const out: Outcome[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) out.push(a[i]!.line < b[j]!.line ? a[i++]! : b[j++]!);
  while (i < a.length) out.push(a[i++]!);
  while (j < b.length) out.push(b[j++]!);
  return out;
}

function count(outcomes: Outcome[]): Counts {
  const c: Counts = { created: 0, updated: 0, unchanged: 0, rejected: 0 };
  for (const o of outcomes) c[o.kind === 'create' ? 'created' : o.kind === 'update' ? 'updated' : o.kind] += 1;
  return c;
}

async function insertIssues(sql: SqlRunner, jobId: string, checked: Checked): Promise<number> {
  const values: unknown[] = [];
  const tuples: string[] = [];
  for (const outcome of checked.outcomes) {
    for (const issue of outcome.issues) {
      const n = values.length;
      tuples.push(`(gen_random_uuid()::text, $${n + 1}, $${n + 2}, $${n + 3}, $${n + 4}, $${n + 5}, $${n + 6})`);
      values.push(jobId, outcome.line, issue.severity, issue.field, issue.message, JSON.stringify(checked.raw.get(outcome.line) ?? []));
    }
  }
  if (tuples.length) await sql.query(`INSERT INTO "ImportRowIssue" (id, "jobId", line, severity, field, message, raw) VALUES ${tuples.join(', ')}`, values);
  return tuples.length;
}

/**
 * Between batches, let the event loop run: on PGlite every query is in-process, so a long
 * import would otherwise keep the server from answering anyone (health checks, webhooks).
 */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export class ImportRunner {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    /** Called after each committed batch; tests use it to crash at an exact point. */
    private readonly afterBatch: (job: JobRow, batch: number) => void | Promise<void> = () => {},
  ) {}

  private async defaultCountry(orgId: string): Promise<string> {
    const [org] = await this.db.sql.query<{ defaultCountry: string }>('SELECT "defaultCountry" FROM "Org" WHERE id = $1', [orgId]);
    return org?.defaultCountry ?? 'US';
  }

  /** The dry run: reads the whole file, writes nothing but the report. */
  async analyze(
    job: JobRow,
    onProgress: (rows: number) => Promise<void>,
    shouldStop: () => boolean = () => false,
  ): Promise<{ status: 'ready' | 'invalid'; report: ImportReport; counts: Counts; total: number } | 'interrupted'> {
    const options = { defaultCountry: await this.defaultCountry(job.orgId), today: this.clock.now() };
    const matcher = new ImportMatcher(job.orgId, this.db.sql);
    await this.db.sql.query('DELETE FROM "ImportRowIssue" WHERE "jobId" = $1', [job.id]);
    await this.db.sql.query('DELETE FROM "ImportCheckedBatch" WHERE "jobId" = $1', [job.id]);
    let header: HeaderAnalysis | null = null;
    let seq = 0;
    let rawHeader: string[] = [];
    const counts: Counts = { created: 0, updated: 0, unchanged: 0, rejected: 0 };
    let total = 0;
    let warnings = 0;
    for await (const item of batches(this.db, job.id)) {
      if ('header' in item) {
        ({ stored: rawHeader, analysis: header } = readHeader(item.header));
        if (header.errors.length) break;
        continue;
      }
      if (shouldStop()) return 'interrupted';
      const raw = new Map<number, string[]>();
      const rows = checkRows(item.rows, header!, options, raw);
      const checked: Checked = { outcomes: await resolveRows(rows, matcher), raw };
      const c = count(checked.outcomes);
      for (const key of Object.keys(counts) as (keyof Counts)[]) counts[key] += c[key];
      total += item.rows.length;
      warnings += checked.outcomes.filter((o) => o.kind !== 'rejected' && o.issues.length).length;
      // The row issues, and what the apply will match and write (so it need not parse and
      // check the file again): two inserts at once, on two connections where there are two.
      await Promise.all([
        insertIssues(this.db.sql, job.id, checked),
        this.db.sql.query('INSERT INTO "ImportCheckedBatch" ("jobId", seq, "firstLine", seen, "rejectedLines", rows) VALUES ($1, $2, $3, $4, $5, $6)', [
          job.id,
          seq++,
          item.rows[0]!.line,
          total,
          rows.rejected.map((r) => r.line),
          storedRows(rows.valid),
        ]),
      ]);
      await onProgress(total);
      await yieldToEventLoop();
    }
    header ??= analyzeHeader([]);
    if (!header.errors.length && total === 0) header.errors.push('The file has a header row but no patients in it.');
    const report: ImportReport = {
      header: { columns: rawHeader, unrecognized: header.unrecognized, duplicates: header.duplicates, errors: header.errors },
      dryRun: { ...counts, total, warnings },
      previousImport: null,
    };
    return { status: header.errors.length ? 'invalid' : 'ready', report, counts, total };
  }

  /**
   * Applies the file from where it stopped (processedRows), one atomic statement per batch that
   * writes its patients, moves the job's progress and stores what the batch's rows touched
   * (ImportMemory), so a crash or a lost connection never leaves a batch half-written or counted
   * twice, and a resumed run judges later rows (duplicates of earlier lines) exactly as an
   * uninterrupted one. The rows are those the dry run checked and stored (ImportCheckedBatch), or
   * the file parsed and checked again for a job analyzed before they were stored. While one batch
   * is written, the next is already read and matched.
   * Returns 'cancelled' when the user cancelled between batches.
   */
  async apply(job: JobRow, shouldStop: () => boolean = () => false): Promise<'completed' | 'cancelled' | 'interrupted'> {
    const matcher = new ImportMatcher(job.orgId, this.db.sql);
    matcher.recall(await this.recalled(job.id));
    const pending = this.preparedBatches(job, matcher);
    let next = pending.next();
    let committed: string[] = [];
    try {
      let batchNo = 0;
      for (;;) {
        const item = await next;
        // The last committed batch's patients leave the overlay only now: the batch just awaited
        // was matched while that one was being written, perhaps before its commit.
        matcher.settle(committed);
        if (item.done) {
          if (item.value !== 'cancelled') break;
          await this.forget(job.id);
          return 'cancelled';
        }
        if (shouldStop()) return 'interrupted';
        const batch = item.value;
        // The write goes out first (one round trip, see writeBatch); the next batch is prepared
        // while the database writes this one.
        const writing = this.writeBatch(job, batch);
        next = pending.next();
        // Settled later (awaited above, or in finally); a failure of the write comes first.
        next.catch(() => {});
        const counts = await writing;
        if (!counts) {
          await this.forget(job.id);
          return 'cancelled';
        }
        committed = batch.touchedIds;
        // Only once committed: a failed commit leaves the job as the database has it.
        Object.assign(job, { processedRows: batch.seen, created: job.created + counts.created, updated: job.updated + counts.updated, unchanged: job.unchanged + counts.unchanged, rejected: job.rejected + counts.rejected });
        batchNo += 1;
        await this.afterBatch(job, batchNo);
        await yieldToEventLoop();
      }
    } finally {
      await next.catch(() => {});
      await pending.return(undefined);
    }
    await this.forget(job.id);
    return 'completed';
  }

  /**
   * One batch, one round trip on one connection (PostgreSQL; see copyCsvThenQuery): its rows go
   * into a session-local staging table (COPY; it empties at each commit), then ONE statement inserts the new
   * patients from it (INSERT ... SELECT; an MRN someone gave another patient since the batch was
   * matched counts its row as rejected: ON CONFLICT, see below), updates the matched ones (UPDATE ... FROM),
   * stores the memory and moves the progress, only while the job is still running (a cancel that
   * commits meanwhile is waited for, then seen: nothing of the batch is written). Null then.
   * The two statements are one transaction.
   */
  private async writeBatch(job: JobRow, batch: PreparedBatch): Promise<Counts | null> {
    return this.db.session(async (sql) => {
      try {
        if (!sql.state.has(STAGE)) {
          await sql.query(STAGE_DDL);
          sql.state.set(STAGE, true);
        }
        // The staging table empties itself at every commit (and a rollback takes its rows too).
        const write = (arbiter: boolean) => sql.copyCsvThenQuery<{ created: number | string }>(STAGE, STAGE_COLUMNS, batch.stage, this.writeStatement(job, batch, arbiter));
        // On PostgreSQL the batch is written without ON CONFLICT first: checking each row for a
        // conflict costs ~10% of the insert, and a conflict means an MRN someone gave another
        // patient since the batch was matched. Then the batch, rolled back whole, goes again with
        // it. (On PGlite the session is one transaction, which an error would end.)
        const [moved] = this.db.kind === 'pglite' ? await write(true) : await write(false).catch((error) => (isMrnConflict(error) ? write(true) : Promise.reject(error)));
        if (!moved) {
          // Not running any more (cancelled, or taken over): nothing was written. Otherwise the
          // statement did not find the rows just staged (only a bug could do that now that
          // staging and statement are one transaction): nothing was written either.
          const [running] = await sql.query(`SELECT 1 FROM "ImportJob" WHERE id = $1 AND status = 'running'`, [job.id]);
          if (running) throw new Error('The import could not read back the batch it had just staged.');
          return null;
        }
        const created = Number(moved.created);
        const lost = batch.creates - created;
        return { ...batch.counts, created, rejected: batch.counts.rejected + lost };
      } catch (error) {
        // On PGlite the session's transaction rolled back: so did the staging table's creation.
        sql.state.delete(STAGE);
        if ((error as { code?: string }).code === UNDEFINED_TABLE) {
          throw new Error('The import lost its staging table between two statements on one connection: PostgreSQL must be reached directly or through a session-mode pooler.');
        }
        throw error;
      }
    });
  }

  /** The file's batches from where the job stopped, each checked, matched and staged: ready to write. */
  private async *preparedBatches(job: JobRow, matcher: ImportMatcher): AsyncGenerator<PreparedBatch, 'cancelled' | undefined> {
    const [stored] = await this.db.sql.query<{ seen: number | null }>('SELECT max(seen) AS seen FROM "ImportCheckedBatch" WHERE "jobId" = $1', [job.id]);
    // The dry run's checked rows when it stored all of them; a job analyzed before they were
    // stored (by an earlier version) is parsed and checked again.
    const checked = stored?.seen !== null && stored?.seen === job.totalRows ? this.storedBatches(job) : this.fileBatches(job);
    try {
      for (;;) {
        const next = await checked.next();
        if (next.done) return next.value;
        const batch = next.value;
        const after = (r: { line: number }) => r.line - 2 >= job.processedRows;
        const rows: CheckedRows = { valid: batch.rows.valid.filter(after), warnings: [], rejected: batch.rows.rejected.filter(after) };
        const firstLine = Math.min(rows.valid[0]?.line ?? Infinity, rows.rejected[0]?.line ?? Infinity);
        if (firstLine === Infinity) continue;
        // The apply stores no row issues (the dry run did): the warnings are not needed.
        const outcomes = await resolveRows(rows, matcher);
        // Only what the write needs is kept (one CSV string, an array of ids): the rows and
        // outcomes die here, young, instead of living on in the old generation while the
        // previous batch is written.
        yield stageBatch(firstLine, batch.seen, outcomes);
      }
    } finally {
      await checked.return(undefined);
    }
  }

  /**
   * The batches the dry run checked and stored (ImportCheckedBatch), from where the job stopped:
   * the rows as they were checked then (the org's default country and the day of the dry run),
   * so the apply writes what the dry run showed. One batch read at a time.
   */
  private async *storedBatches(job: JobRow): AsyncGenerator<{ seen: number; rows: CheckedRows }, 'cancelled' | undefined> {
    let seq = -1;
    let seen = job.processedRows;
    for (;;) {
      const [batch] = await this.db.sql.query<{ seq: number; seen: number; rejectedLines: number[]; rows: string }>(
        'SELECT seq, seen, "rejectedLines", rows FROM "ImportCheckedBatch" WHERE "jobId" = $1 AND seq > $2 AND seen > $3 ORDER BY seq LIMIT 1',
        [job.id, seq, job.processedRows],
      );
      if (!batch) {
        if (seen >= job.totalRows) return undefined;
        // A cancel deletes them (the apply stops there, as at any cancel); nothing else should.
        const [running] = await this.db.sql.query(`SELECT 1 FROM "ImportJob" WHERE id = $1 AND status = 'running'`, [job.id]);
        if (!running) return 'cancelled';
        throw new Error(`The rows the dry run checked are gone after line ${seen + 1}.`);
      }
      seq = batch.seq;
      seen = batch.seen;
      const rejected: Outcome[] = batch.rejectedLines.map((line) => ({ kind: 'rejected', line, issues: [] }));
      yield { seen, rows: { valid: readStoredRows(batch.rows), warnings: [], rejected } };
    }
  }

  /** The file's batches from where the job stopped, parsed and checked again (today, with the org's default country). */
  private async *fileBatches(job: JobRow): AsyncGenerator<{ seen: number; rows: CheckedRows }, 'cancelled' | undefined> {
    const options = { defaultCountry: await this.defaultCountry(job.orgId), today: this.clock.now() };
    let header: HeaderAnalysis | null = null;
    let seen = 0;
    for await (const item of batches(this.db, job.id)) {
      if ('header' in item) {
        header = readHeader(item.header).analysis;
        continue;
      }
      seen += item.rows.length;
      const rows = item.rows.filter((r) => r.line - 2 >= job.processedRows);
      if (rows.length) yield { seen, rows: checkRows(rows, header!, options) };
    }
    return undefined;
  }

  /** The patients the job's applied rows touched, from the batches already committed. */
  private async recalled(jobId: string): Promise<{ patientId: string; line: number }[]> {
    const batches = await this.db.sql.query<{ patientIds: string[]; lines: number[] }>('SELECT "patientIds", lines FROM "ImportMemory" WHERE "jobId" = $1', [jobId]);
    return batches.flatMap((b) => b.patientIds.map((patientId, i) => ({ patientId, line: b.lines[i]! })));
  }

  /** A finished or cancelled import needs no memory of its lines, nor the rows its dry run checked. */
  async forget(jobId: string): Promise<void> {
    await this.db.sql.query('DELETE FROM "ImportMemory" WHERE "jobId" = $1', [jobId]);
    await this.db.sql.query('DELETE FROM "ImportCheckedBatch" WHERE "jobId" = $1', [jobId]);
  }

  /**
   * The set-based statement over the staged batch (see writeBatch), its values written in (a
   * simple query takes no parameters: ids as quoted literals, numbers checked to be integers).
   * The job row is locked first and checked to be running, and the staging table to hold the
   * batch's rows (all of them, none of another); every other part writes only if both hold. The
   * commit need not wait for its WAL flush (synchronous_commit off, this transaction only): a
   * commit lost in a crash loses the batch with its progress, and the job resumes before it.
   */
  private writeStatement(job: JobRow, batch: PreparedBatch, arbiter: boolean): string {
    const { counts } = batch;
    const jobId = sqlLiteral(job.id);
    const orgId = sqlLiteral(job.orgId);
    const now = `${sqlLiteral(this.clock.now().toISOString())}::timestamptz`;
    return `WITH job AS (SELECT id FROM "ImportJob" WHERE id = ${jobId} AND status = 'running' AND (SELECT count(*) FROM "${STAGE}") = ${int(batch.touchedIds.length)} FOR UPDATE),
       inserted AS (
         INSERT INTO "Patient" (id, "orgId", mrn, phone, "firstName", "lastName", "preferredName", dob, email, tags, location, provider, source, "createdAt", "updatedAt")
         SELECT s.id, ${orgId}, s.mrn, s.phone, s."firstName", s."lastName", s."preferredName", s.dob, s.email, COALESCE(s.tags, '{}'), s.location, s.provider, 'import', ${now}, ${now}
           FROM "${STAGE}" s WHERE s.kind = 'create' AND EXISTS (SELECT 1 FROM job)
         ${arbiter ? 'ON CONFLICT ("orgId", mrn) DO NOTHING' : ''} RETURNING 1),
       changed AS (
         UPDATE "Patient" AS p SET
           mrn = COALESCE(s.mrn, p.mrn), phone = COALESCE(s.phone, p.phone), "firstName" = COALESCE(s."firstName", p."firstName"),
           "lastName" = COALESCE(s."lastName", p."lastName"), "preferredName" = COALESCE(s."preferredName", p."preferredName"),
           dob = COALESCE(s.dob, p.dob), email = COALESCE(s.email, p.email), tags = COALESCE(s.tags, p.tags),
           location = COALESCE(s.location, p.location), provider = COALESCE(s.provider, p.provider), "updatedAt" = ${now}
           FROM "${STAGE}" s
          WHERE s.kind = 'update' AND p.id = s.id AND p."orgId" = ${orgId} AND EXISTS (SELECT 1 FROM job)),
       memory AS (INSERT INTO "ImportMemory" ("jobId", "firstLine", "patientIds", lines)
         SELECT id, ${int(batch.firstLine)}, ARRAY(SELECT s.id FROM "${STAGE}" s ORDER BY s.line), ARRAY(SELECT s.line FROM "${STAGE}" s ORDER BY s.line) FROM job),
       n AS (SELECT count(*)::int AS created FROM inserted)
       UPDATE "ImportJob" AS j SET "processedRows" = ${int(batch.seen)}, created = j.created + n.created, updated = j.updated + ${int(counts.updated)}, unchanged = j.unchanged + ${int(counts.unchanged)},
         rejected = j.rejected + ${int(counts.rejected)} + (${int(batch.creates)} - n.created), "heartbeatAt" = ${now}
        FROM job, n WHERE j.id = job.id
       RETURNING n.created, set_config('synchronous_commit', 'off', true)`;
  }
}

/** A new patient's MRN is already another patient's in the org (the unique index on both). */
function isMrnConflict(error: unknown): boolean {
  const { code, constraint } = error as { code?: string; constraint?: string };
  return code === '23505' && constraint === 'Patient_orgId_mrn_key';
}

/** PostgreSQL's error code for a table that does not exist. */
const UNDEFINED_TABLE = '42P01';

/** An integer written into SQL (never anything else). */
function int(value: number): string {
  if (!Number.isSafeInteger(value)) throw new Error(`not an integer: ${value}`);
  return String(value);
}

/** A batch ready to write: its counts as matched, its staging CSV, and what its rows touched. */
type PreparedBatch = {
  firstLine: number;
  seen: number;
  counts: Counts;
  /** Rows that create a patient (the count the INSERT is held to). */
  creates: number;
  stage: string;
  /** The patients the batch's rows created or matched (also in the staging table, with their lines). */
  touchedIds: string[];
};

/**
 * The session-local staging table: one row per row of the batch that created, updated or left
 * unchanged a patient (the memory of the batch is made from it), with its line. Emptied at
 * every commit: no patient data stays on the pooled connection after its batch.
 */
const STAGE = 'ImportStage';
const STAGE_COLUMNS = ['kind', 'id', 'mrn', 'phone', 'firstName', 'lastName', 'preferredName', 'dob', 'email', 'tags', 'location', 'provider', 'line'];
const STAGE_DDL = `CREATE TEMP TABLE IF NOT EXISTS "${STAGE}" (kind text NOT NULL, id text NOT NULL, mrn text, phone text, "firstName" text, "lastName" text, "preferredName" text, dob text, email text, tags text[], location text, provider text, line int NOT NULL) ON COMMIT DELETE ROWS`;

/**
 * The batch as the staging table's CSV: a created patient's values, a matched one's changes
 * (empty = null = keep). Built as one string, cell by cell (no array per row).
 */
function stageBatch(firstLine: number, seen: number, outcomes: Outcome[]): PreparedBatch {
  const counts = count(outcomes);
  const touchedIds: string[] = [];
  let stage = '';
  for (const o of outcomes) {
    if (o.kind === 'rejected') continue;
    touchedIds.push(o.id);
    if (o.kind === 'create') {
      const v = o.values;
      stage += `create,${o.id},${csvCell(v.mrn)},${csvCell(v.phone)},${csvCell(v.firstName)},${csvCell(v.lastName)},${csvCell(v.preferredName)},${csvCell(v.dob)},${csvCell(v.email)},${csvCell(pgArray(v.tags))},${csvCell(v.location)},${csvCell(v.provider)},${o.line}\n`;
    } else if (o.kind === 'update') {
      const c = o.changes;
      stage += `update,${o.id},${csvCell(c.mrn ?? null)},${csvCell(c.phone ?? null)},${csvCell(c.firstName ?? null)},${csvCell(c.lastName ?? null)},${csvCell(c.preferredName ?? null)},${csvCell(c.dob ?? null)},${csvCell(c.email ?? null)},${csvCell(c.tags ? pgArray(c.tags) : null)},${csvCell(c.location ?? null)},${csvCell(c.provider ?? null)},${o.line}\n`;
    } else {
      stage += `unchanged,${o.id},,,,,,,,,,,${o.line}\n`;
    }
  }
  return { firstLine, seen, counts, creates: counts.created, stage, touchedIds };
}

/** A CSV cell (FORMAT csv): empty for null, quoted otherwise (an empty string stays ""). */
function csvCell(value: string | null): string {
  return value === null ? '' : `"${csvQuote(value)}"`;
}

function csvQuote(value: string): string {
  return value.includes('"') ? value.replace(/"/g, '""') : value;
}

/** A text[] literal of the tags (each element quoted). */
function pgArray(items: string[]): string {
  let out = '{';
  for (let i = 0; i < items.length; i++) out += `${i ? ',' : ''}"${items[i]!.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  return `${out}}`;
}
