import { analyzeHeader, checkPatientRow, cleanIdentifier, type HeaderAnalysis, type RowIssue, stripControlChars } from '@caretext/shared';
import type { Database, SqlRunner } from '../db/database.js';
import type { Clock } from '../clock.js';
import { readCsvRows } from './csv-rows.js';
import { ImportMatcher, type Outcome, type ValidRow } from './matcher.js';

/** Rows per batch: one transaction (the new patients by COPY, then one statement for the rest; see writeBatch). */
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

/** Streams the stored upload back, one 1 MB chunk at a time. */
async function* fileChunks(sql: SqlRunner, jobId: string): AsyncGenerator<Uint8Array> {
  for (let seq = 0; ; seq++) {
    const [chunk] = await sql.query<{ data: Uint8Array }>('SELECT data FROM "ImportChunk" WHERE "jobId" = $1 AND seq = $2', [jobId, seq]);
    if (!chunk) return;
    yield chunk.data;
  }
}

async function* batches(sql: SqlRunner, jobId: string): AsyncGenerator<{ header: string[] } | { rows: RawRow[] }> {
  let line = 0;
  let rows: RawRow[] = [];
  for await (const cells of readCsvRows(fileChunks(sql, jobId))) {
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
  if (rows.length) yield { rows };
  if (line === 0) yield { header: [] };
}

type Checked = { outcomes: Outcome[]; raw: Map<number, string[]> };

async function checkBatch(rows: RawRow[], header: HeaderAnalysis, matcher: ImportMatcher, options: { defaultCountry: string; today: Date }, keepRaw = true): Promise<Checked> {
  const raw = new Map<number, string[]>();
  const rejected: Outcome[] = [];
  const valid: ValidRow[] = [];
  const warnings = new Map<number, RowIssue[]>();
  for (const row of rows) {
    const check = checkPatientRow(row.cells, header, options);
    if (keepRaw) raw.set(row.line, row.cells);
    if (!check.values) rejected.push({ kind: 'rejected', line: row.line, issues: check.issues });
    else {
      valid.push({ line: row.line, values: check.values });
      warnings.set(row.line, check.issues);
    }
  }
  const resolved = await matcher.resolve(valid);
  for (const outcome of resolved) outcome.issues.unshift(...(warnings.get(outcome.line) ?? []));
  return { outcomes: [...rejected, ...resolved].sort((a, b) => a.line - b.line), raw };
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
    let header: HeaderAnalysis | null = null;
    let rawHeader: string[] = [];
    const counts: Counts = { created: 0, updated: 0, unchanged: 0, rejected: 0 };
    let total = 0;
    let warnings = 0;
    for await (const item of batches(this.db.sql, job.id)) {
      if ('header' in item) {
        ({ stored: rawHeader, analysis: header } = readHeader(item.header));
        if (header.errors.length) break;
        continue;
      }
      if (shouldStop()) return 'interrupted';
      const checked = await checkBatch(item.rows, header!, matcher, options);
      const c = count(checked.outcomes);
      for (const key of Object.keys(counts) as (keyof Counts)[]) counts[key] += c[key];
      total += item.rows.length;
      warnings += checked.outcomes.filter((o) => o.kind !== 'rejected' && o.issues.length).length;
      await insertIssues(this.db.sql, job.id, checked);
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
   * Applies the file from where it stopped (processedRows), one transaction per batch that also
   * moves the job's progress and stores what the batch's rows touched (ImportMemory), so a crash
   * or a lost connection never leaves a batch half-written or counted twice, and a resumed run
   * judges later rows (duplicates of earlier lines) exactly as an uninterrupted one.
   * While one batch is written, the next is already parsed, checked and matched.
   * Returns 'cancelled' when the user cancelled between batches.
   */
  async apply(job: JobRow, shouldStop: () => boolean = () => false): Promise<'completed' | 'cancelled' | 'interrupted'> {
    const options = { defaultCountry: await this.defaultCountry(job.orgId), today: this.clock.now() };
    const matcher = new ImportMatcher(job.orgId, this.db.sql);
    matcher.recall(await this.recalled(job.id));
    const pending = this.checkedBatches(job, matcher, options);
    let next = pending.next();
    let committed: string[] = [];
    try {
      let batchNo = 0;
      for (;;) {
        const item = await next;
        // The last committed batch's patients leave the overlay only now: the batch just awaited
        // was matched while that one was being written, perhaps before its commit.
        matcher.settle(committed);
        if (item.done) break;
        if (shouldStop()) return 'interrupted';
        next = pending.next();
        // Settled later (awaited above, or in finally); a failure of the write comes first.
        next.catch(() => {});
        const { firstLine, seen, checked } = item.value;
        const touched = checked.outcomes.filter((o) => o.kind !== 'rejected');
        const counts = await this.writeBatch(job, { firstLine, seen, outcomes: checked.outcomes, touched });
        if (!counts) {
          await this.forget(job.id);
          return 'cancelled';
        }
        committed = touched.map((o) => o.id);
        // Only once committed: a failed commit leaves the job as the database has it.
        Object.assign(job, { processedRows: seen, created: job.created + counts.created, updated: job.updated + counts.updated, unchanged: job.unchanged + counts.unchanged, rejected: job.rejected + counts.rejected });
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
   * One batch in one transaction: its patients, what its rows touched (ImportMemory) and the
   * job's progress commit together, or not at all. Null when the job is no longer running.
   * Two statements: the new patients (COPY), then one that updates the matched patients, stores
   * the memory and moves the progress only while the job is still running (a cancel that
   * commits meanwhile is waited for, then seen); if it is not, the batch is rolled back.
   */
  private async writeBatch(job: JobRow, batch: { firstLine: number; seen: number; outcomes: Outcome[]; touched: Exclude<Outcome, { kind: 'rejected' }>[] }, useCopy = true): Promise<Counts | null> {
    try {
      return await this.db.transaction(async (tx) => {
        const counts = await this.insertCreates(tx, job.orgId, batch.outcomes, useCopy);
        const [moved] = await this.updateAndRecord(tx, job, batch, counts);
        if (!moved) throw new JobNotRunning();
        return counts;
      });
    } catch (error) {
      if (error instanceof JobNotRunning) return null;
      // COPY has no ON CONFLICT: the matcher checked each MRN, so a conflict means someone gave
      // one of them to another patient meanwhile. The batch is written again by INSERT ... ON
      // CONFLICT, which counts those rows as rejected.
      if (useCopy && (error as { code?: unknown }).code === '23505') return this.writeBatch(job, batch, false);
      throw error;
    }
  }

  /** The file's batches from where the job stopped, each checked and matched, ready to write. */
  private async *checkedBatches(job: JobRow, matcher: ImportMatcher, options: { defaultCountry: string; today: Date }) {
    let header: HeaderAnalysis | null = null;
    let seen = 0;
    for await (const item of batches(this.db.sql, job.id)) {
      if ('header' in item) {
        header = readHeader(item.header).analysis;
        continue;
      }
      seen += item.rows.length;
      const rows = item.rows.filter((r) => r.line - 2 >= job.processedRows);
      if (!rows.length) continue;
      // The apply stores no row issues (the dry run did): no need to keep the raw cells.
      yield { firstLine: rows[0]!.line, seen, checked: await checkBatch(rows, header!, matcher, options, false) };
    }
  }

  /** The patients the job's applied rows touched, from the batches already committed. */
  private async recalled(jobId: string): Promise<{ patientId: string; line: number }[]> {
    const batches = await this.db.sql.query<{ patientIds: string[]; lines: number[] }>('SELECT "patientIds", lines FROM "ImportMemory" WHERE "jobId" = $1', [jobId]);
    return batches.flatMap((b) => b.patientIds.map((patientId, i) => ({ patientId, line: b.lines[i]! })));
  }

  /** A finished or cancelled import needs no memory of its lines. */
  private async forget(jobId: string): Promise<void> {
    await this.db.sql.query('DELETE FROM "ImportMemory" WHERE "jobId" = $1', [jobId]);
  }

  /** New patients loaded with COPY (CSV): the fastest way into the table on either database. */
  private async copyCreates(sql: SqlRunner, orgId: string, creates: Extract<Outcome, { kind: 'create' }>[], now: Date): Promise<void> {
    const stamp = now.toISOString();
    // Built as one string, cell by cell (no array per row): this runs for every new patient.
    const tail = `,"${csvQuote(orgId)}",`;
    const end = `,import,${stamp},${stamp}\n`;
    let csv = '';
    for (const o of creates) {
      const v = o.values;
      csv += `${o.id}${tail}${csvCell(v.mrn)},${csvCell(v.phone)},${csvCell(v.firstName)},${csvCell(v.lastName)},${csvCell(v.preferredName)},${csvCell(v.dob)},${csvCell(v.email)},${csvCell(pgArray(v.tags))},${csvCell(v.location)},${csvCell(v.provider)}${end}`;
    }
    await sql.copyCsv!('Patient', ['id', 'orgId', 'mrn', 'phone', 'firstName', 'lastName', 'preferredName', 'dob', 'email', 'tags', 'location', 'provider', 'source', 'createdAt', 'updatedAt'], csv);
  }

  /** The batch's new patients (COPY, or INSERT ... ON CONFLICT that counts a lost MRN as rejected). */
  private async insertCreates(sql: SqlRunner, orgId: string, outcomes: Outcome[], useCopy: boolean): Promise<Counts> {
    const counts = count(outcomes);
    const now = this.clock.now();
    const creates = outcomes.filter((o) => o.kind === 'create');
    if (creates.length && useCopy && sql.copyCsv) {
      await this.copyCreates(sql, orgId, creates, now);
    } else if (creates.length) {
      // One array per column through unnest: 13 parameters instead of 13 per row, and PostgreSQL
      // plans one statement shape for every batch.
      const column = <K extends keyof (typeof creates)[number]['values']>(key: K) => creates.map((o) => o.values[key]);
      const inserted = await sql.query<{ id: string }>(
        `INSERT INTO "Patient" (id, "orgId", mrn, phone, "firstName", "lastName", "preferredName", dob, email, tags, location, provider, source, "createdAt", "updatedAt")
         SELECT r.id, $1, r.mrn, r.phone, r.first, r.last, r.preferred, r.dob, r.email,
                ARRAY(SELECT json_array_elements_text(r.tags::json)), r.location, r.provider, 'import', $2, $2
           FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[])
                AS r(id, mrn, phone, first, last, preferred, dob, email, tags, location, provider)
         ON CONFLICT ("orgId", mrn) DO NOTHING RETURNING id`,
        [
          orgId,
          now,
          creates.map((o) => o.id),
          column('mrn'),
          column('phone'),
          column('firstName'),
          column('lastName'),
          column('preferredName'),
          column('dob'),
          column('email'),
          creates.map((o) => JSON.stringify(o.values.tags)),
          column('location'),
          column('provider'),
        ],
      );
      // Someone gave another patient this MRN since the batch was checked: count it as rejected.
      const lost = creates.length - inserted.length;
      counts.created -= lost;
      counts.rejected += lost;
    }
    return counts;
  }

  /**
   * One statement: the matched patients' changes, what the batch's rows touched (ImportMemory)
   * and the job's progress, only if the job is still running (no row back otherwise). The
   * commit need not wait for its WAL flush (synchronous_commit off, this transaction only): a
   * commit lost in a crash loses the batch with its progress, and the job resumes before it.
   */
  private async updateAndRecord(sql: SqlRunner, job: JobRow, batch: { firstLine: number; seen: number; outcomes: Outcome[]; touched: Exclude<Outcome, { kind: 'rejected' }>[] }, counts: Counts) {
    const now = this.clock.now();
    const values: unknown[] = [job.id, batch.seen, counts.created, counts.updated, counts.unchanged, counts.rejected, now, batch.firstLine, batch.touched.map((o) => o.id), batch.touched.map((o) => o.line)];
    const tuples: string[] = [];
    for (const o of batch.outcomes) {
      if (o.kind !== 'update') continue;
      if (!tuples.length) values.push(job.orgId); // $11, used only with updates
      const c = o.changes;
      const n = values.length;
      values.push(o.id, c.mrn ?? null, c.phone ?? null, c.firstName ?? null, c.lastName ?? null, c.preferredName ?? null, c.dob ?? null, c.email ?? null, c.tags ?? null, c.location ?? null, c.provider ?? null);
      const p = (i: number) => `$${n + i}`;
      tuples.push(`(${p(1)}::text, ${p(2)}::text, ${p(3)}::text, ${p(4)}::text, ${p(5)}::text, ${p(6)}::text, ${p(7)}::text, ${p(8)}::text, ${p(9)}::text[], ${p(10)}::text, ${p(11)}::text)`);
    }
    // The job row first (locked, and checked to be running), then the patients and the memory.
    const updates = tuples.length
      ? `, changed AS (
           UPDATE "Patient" AS p SET
             mrn = COALESCE(v.mrn, p.mrn), phone = COALESCE(v.phone, p.phone), "firstName" = COALESCE(v.first, p."firstName"),
             "lastName" = COALESCE(v.last, p."lastName"), "preferredName" = COALESCE(v.preferred, p."preferredName"),
             dob = COALESCE(v.dob, p.dob), email = COALESCE(v.email, p.email), tags = COALESCE(v.tags, p.tags),
             location = COALESCE(v.location, p.location), provider = COALESCE(v.provider, p.provider), "updatedAt" = $7
           FROM (VALUES ${tuples.join(', ')}) AS v(id, mrn, phone, first, last, preferred, dob, email, tags, location, provider)
           WHERE p.id = v.id AND p."orgId" = $11 AND EXISTS (SELECT 1 FROM job))`
      : '';
    return sql.query<{ id: string }>(
      `WITH job AS (SELECT id FROM "ImportJob" WHERE id = $1 AND status = 'running' FOR UPDATE)${updates},
       memory AS (INSERT INTO "ImportMemory" ("jobId", "firstLine", "patientIds", lines) SELECT id, $8, $9::text[], $10::int[] FROM job)
       UPDATE "ImportJob" AS j SET "processedRows" = $2, created = created + $3, updated = updated + $4, unchanged = unchanged + $5,
         rejected = rejected + $6, "heartbeatAt" = $7
        FROM job WHERE j.id = job.id
       RETURNING j.id, set_config('synchronous_commit', 'off', true)`,
      values,
    );
  }
}

/** The job was cancelled (or taken over) while its batch was written: the batch rolls back. */
class JobNotRunning extends Error {}

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
