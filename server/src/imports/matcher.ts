import { randomUUID } from 'node:crypto';
import type { PatientRowValues, RowIssue } from '@caretext/shared';
import type { SqlRunner } from '../db/database.js';

export type ExistingPatient = {
  id: string;
  mrn: string | null;
  phone: string | null;
  firstName: string | null;
  lastName: string | null;
  preferredName: string | null;
  dob: string | null;
  email: string | null;
  tags: string[];
  location: string | null;
  provider: string | null;
};

export type ValidRow = { line: number; values: PatientRowValues };

export type PatientChanges = Partial<Omit<ExistingPatient, 'id'>>;

export type Outcome =
  | { kind: 'create'; line: number; id: string; values: PatientRowValues; issues: RowIssue[] }
  | { kind: 'update'; line: number; id: string; changes: PatientChanges; issues: RowIssue[] }
  | { kind: 'unchanged'; line: number; id: string; issues: RowIssue[] }
  | { kind: 'rejected'; line: number; issues: RowIssue[] };

const FIELDS = ['mrn', 'phone', 'firstName', 'lastName', 'preferredName', 'dob', 'email', 'location', 'provider'] as const;

const lower = (s: string | null) => (s ?? '').toLowerCase();
const nameOf = (p: ExistingPatient) => [p.firstName, p.lastName].filter(Boolean).join(' ') || p.mrn || p.phone || 'a patient';

/**
 * Decides, for each valid row, whether it creates, updates or leaves a patient unchanged:
 * - a row matches by MRN first ("the MRN wins" when its phone belongs to someone else);
 * - otherwise by phone, but a phone is shared by families: a record with a different MRN, or a
 *   different first name, is another person, and the row becomes a new patient (with a note);
 * - a match takes the row's non-empty fields; tags are added, never removed;
 * - a row that lands on a patient an earlier row of the same file already touched is a duplicate.
 * Rows created earlier in the file count as patients for later rows, so the dry run predicts
 * what applying the file will do.
 */
export class ImportMatcher {
  /** Patients as this file has left them so far (created or updated rows), indexed for lookup. */
  private readonly overlay = new Map<string, ExistingPatient>();
  private readonly overlayByMrn = new Map<string, string>();
  private readonly overlayByPhone = new Map<string, Set<string>>();
  private readonly touchedBy = new Map<string, number>();

  constructor(
    private readonly orgId: string,
    private readonly sql: SqlRunner,
  ) {}

  /**
   * What a resumed import remembers of the rows it applied before it stopped: the patient each
   * of them created or matched (ImportMemory). The patients themselves are in the database by
   * then, as the overlay would have them, so this is all a later row needs to be judged exactly
   * as in an uninterrupted run.
   */
  recall(touched: Iterable<{ patientId: string; line: number }>): void {
    for (const { patientId, line } of touched) this.touchedBy.set(patientId, line);
  }

  /**
   * The batch that touched these patients is committed: the database has them as the overlay
   * does, so later lookups find them there (an apply's memory then stays small; the dry run,
   * which commits nothing, keeps its whole overlay).
   */
  settle(patientIds: Iterable<string>): void {
    for (const id of patientIds) {
      const p = this.overlay.get(id);
      if (!p) continue;
      this.overlay.delete(id);
      if (p.mrn && this.overlayByMrn.get(p.mrn) === id) this.overlayByMrn.delete(p.mrn);
      const samePhone = p.phone ? this.overlayByPhone.get(p.phone) : undefined;
      samePhone?.delete(id);
      if (samePhone?.size === 0) this.overlayByPhone.delete(p.phone!);
    }
  }

  async resolve(rows: ValidRow[]): Promise<Outcome[]> {
    const existing = await this.lookup(rows);
    return rows.map((row) => this.resolveRow(row, existing));
  }

  private async lookup(rows: ValidRow[]): Promise<ExistingPatient[]> {
    const mrns = [...new Set(rows.map((r) => r.values.mrn).filter((m): m is string => Boolean(m)))];
    const phones = [...new Set(rows.map((r) => r.values.phone))];
    if (!phones.length) return [];
    // One index probe per key (LATERAL ... OFFSET 0 keeps the planner from turning it back into
    // a scan of the whole directory, which an `mrn = ANY OR phone = ANY` filter does).
    const found = await this.sql.query<ExistingPatient>(
      `SELECT * FROM (
         SELECT p.* FROM unnest($2::text[]) AS k(v) CROSS JOIN LATERAL (
           SELECT id, mrn, phone, "firstName", "lastName", "preferredName", dob, email, tags, location, provider, "createdAt"
             FROM "Patient" WHERE "orgId" = $1 AND mrn = k.v OFFSET 0) p
         UNION
         SELECT p.* FROM unnest($3::text[]) AS k(v) CROSS JOIN LATERAL (
           SELECT id, mrn, phone, "firstName", "lastName", "preferredName", dob, email, tags, location, provider, "createdAt"
             FROM "Patient" WHERE "orgId" = $1 AND phone = k.v OFFSET 0) p
       ) found ORDER BY "createdAt", id`,
      [this.orgId, mrns, phones],
    );
    const byId = new Map(found.map((p) => [p.id, this.overlay.get(p.id) ?? p]));
    for (const mrn of mrns) {
      const id = this.overlayByMrn.get(mrn);
      if (id) byId.set(id, this.overlay.get(id)!);
    }
    for (const phone of phones) for (const id of this.overlayByPhone.get(phone) ?? []) byId.set(id, this.overlay.get(id)!);
    return [...byId.values()];
  }

  private remember(patient: ExistingPatient): void {
    this.overlay.set(patient.id, patient);
    if (patient.mrn) this.overlayByMrn.set(patient.mrn, patient.id);
    if (patient.phone) {
      const ids = this.overlayByPhone.get(patient.phone) ?? new Set<string>();
      ids.add(patient.id);
      this.overlayByPhone.set(patient.phone, ids);
    }
  }

  /** Patients sharing the row's MRN or phone: the batch's lookup, updated by rows before this one. */
  private candidates(v: PatientRowValues, batch: ExistingPatient[]): ExistingPatient[] {
    const byId = new Map<string, ExistingPatient>();
    for (const p of batch) if (p.phone === v.phone || (v.mrn && p.mrn === v.mrn)) byId.set(p.id, this.overlay.get(p.id) ?? p);
    const mrnId = v.mrn ? this.overlayByMrn.get(v.mrn) : undefined;
    if (mrnId) byId.set(mrnId, this.overlay.get(mrnId)!);
    for (const id of this.overlayByPhone.get(v.phone) ?? []) byId.set(id, this.overlay.get(id)!);
    // A record whose MRN or phone this file already changed away no longer matches.
    return [...byId.values()].filter((p) => p.phone === v.phone || (v.mrn && p.mrn === v.mrn));
  }

  private resolveRow(row: ValidRow, batch: ExistingPatient[]): Outcome {
    const v = row.values;
    const pool = this.candidates(v, batch);
    const issues: RowIssue[] = [];
    let target: ExistingPatient | null = null;
    let via = '';
    if (v.mrn) {
      target = pool.find((p) => p.mrn === v.mrn) ?? null;
      via = 'MRN';
    }
    if (!target) {
      const samePhone = pool.filter((p) => p.phone === v.phone && (!v.mrn || !p.mrn));
      const sameName = samePhone.filter((p) => !v.firstName || !p.firstName || lower(p.firstName) === lower(v.firstName));
      const exactName = sameName.filter((p) => v.firstName && lower(p.firstName) === lower(v.firstName));
      if (exactName.length === 1 || (exactName.length === 0 && sameName.length === 1)) {
        target = exactName[0] ?? sameName[0]!;
        via = 'phone';
      } else if (sameName.length > 1) {
        return this.reject(row, {
          severity: 'error',
          field: 'phone',
          message: `Phone ${v.phone} belongs to ${sameName.length} patients (${sameName.slice(0, 3).map(nameOf).join(', ')}): add mrn or first_name so the row says which one`,
        });
      } else {
        const family = pool.filter((p) => p.phone === v.phone);
        if (family.length) {
          issues.push({ severity: 'warning', field: 'phone', message: `Phone is shared with ${family.slice(0, 3).map(nameOf).join(', ')}: imported as a separate patient (family members may share a phone)` });
        }
      }
    }

    if (target) {
      const earlier = this.touchedBy.get(target.id);
      if (earlier !== undefined) {
        return this.reject(row, { severity: 'error', field: via === 'MRN' ? 'mrn' : 'phone', message: `Duplicate of line ${earlier}: same patient (matched by ${via})` });
      }
      this.touchedBy.set(target.id, row.line);
      if (via === 'MRN' && target.phone && target.phone !== v.phone) {
        issues.push({ severity: 'warning', field: 'phone', message: `MRN ${v.mrn} matches ${nameOf(target)}, whose phone ${target.phone} will change to ${v.phone} (the MRN wins)` });
      }
      const changes = diff(target, v);
      this.remember(keysOf({ ...target, ...changes }));
      return Object.keys(changes).length ? { kind: 'update', line: row.line, id: target.id, changes, issues } : { kind: 'unchanged', line: row.line, id: target.id, issues };
    }

    const id = randomUUID();
    this.remember(keysOf({ id, ...v }));
    this.touchedBy.set(id, row.line);
    return { kind: 'create', line: row.line, id, values: v, issues };
  }

  private reject(row: ValidRow, issue: RowIssue): Outcome {
    return { kind: 'rejected', line: row.line, issues: [issue] };
  }
}

/**
 * What the overlay keeps of a patient this file touched: only what matching reads. Every later
 * row that lands on a touched patient is a duplicate, so its other fields are never diffed,
 * and a large file's memory stays small.
 */
function keysOf(p: Pick<ExistingPatient, 'id' | 'mrn' | 'phone' | 'firstName'>): ExistingPatient {
  return { id: p.id, mrn: p.mrn, phone: p.phone, firstName: p.firstName, lastName: null, preferredName: null, dob: null, email: null, tags: [], location: null, provider: null };
}

/** The row's non-empty fields that differ from the patient; tags are merged. */
export function diff(patient: ExistingPatient, v: PatientRowValues): PatientChanges {
  const changes: PatientChanges = {};
  for (const field of FIELDS) {
    const value = v[field];
    if (value && value !== patient[field]) (changes as Record<string, unknown>)[field] = value;
  }
  const newTags = v.tags.filter((t) => !patient.tags.includes(t));
  if (newTags.length) changes.tags = [...patient.tags, ...newTags];
  return changes;
}
