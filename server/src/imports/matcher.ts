import { randomFillSync } from 'node:crypto';
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

/**
 * What matching reads of a patient: a patient this file touched is kept as only this (its
 * later rows are all duplicates); one from the database has every field (ExistingPatient).
 */
type Known = Pick<ExistingPatient, 'id' | 'mrn' | 'phone' | 'firstName'> & Partial<Pick<ExistingPatient, 'lastName'>>;

export type ValidRow = { line: number; values: PatientRowValues };

export type PatientChanges = Partial<Omit<ExistingPatient, 'id'>>;

export type Outcome =
  | { kind: 'create'; line: number; id: string; values: PatientRowValues; issues: RowIssue[] }
  | { kind: 'update'; line: number; id: string; changes: PatientChanges; issues: RowIssue[] }
  | { kind: 'unchanged'; line: number; id: string; issues: RowIssue[] }
  | { kind: 'rejected'; line: number; issues: RowIssue[] };

const FIELDS = ['mrn', 'phone', 'firstName', 'lastName', 'preferredName', 'dob', 'email', 'location', 'provider'] as const;

/** Between the keys of a lookup (chr(31)): checkPatientRow rejects a row with a control character. */
const KEY_SEPARATOR = '\x1f';

const lower = (s: string | null) => (s ?? '').toLowerCase();
const nameOf = (p: Known) => [p.firstName, p.lastName].filter(Boolean).join(' ') || p.mrn || p.phone || 'a patient';

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
  /**
   * Patients as this file has left them so far (created or updated rows), indexed for lookup.
   * Only what matching reads of them (Known: its other fields are never diffed again,
   * every later row that lands on a touched patient being a duplicate): the dry run keeps one per row of the file.
   */
  private readonly overlay = new Map<string, Known>();
  private readonly overlayByMrn = new Map<string, string>();
  /** Phone -> the id, or the ids when several (families): no Set per patient. */
  private readonly overlayByPhone = new Map<string, string | string[]>();
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
      if (p.phone) this.unindexPhone(p.phone, id);
    }
  }

  async resolve(rows: ValidRow[]): Promise<Outcome[]> {
    const batch = indexBatch(await this.lookup(rows));
    return rows.map((row) => this.resolveRow(row, batch));
  }

  private phoneIds(phone: string): string[] {
    const ids = this.overlayByPhone.get(phone);
    return ids === undefined ? [] : typeof ids === 'string' ? [ids] : ids;
  }

  private unindexPhone(phone: string, id: string): void {
    const ids = this.overlayByPhone.get(phone);
    if (ids === id) this.overlayByPhone.delete(phone);
    else if (Array.isArray(ids)) {
      const rest = ids.filter((other) => other !== id);
      this.overlayByPhone.set(phone, rest.length === 1 ? rest[0]! : rest);
    }
  }

  private async lookup(rows: ValidRow[]): Promise<Known[]> {
    const mrns = [...new Set(rows.map((r) => r.values.mrn).filter((m): m is string => Boolean(m)))];
    const phones = [...new Set(rows.map((r) => r.values.phone))];
    if (!phones.length) return [];
    // One index probe per key (LATERAL ... OFFSET 0 keeps the planner from turning it back into
    // a scan of the whole directory, which an `mrn = ANY OR phone = ANY` filter does). The keys
    // go as one text each, split on the unit separator (a valid row has no control character),
    // not as arrays: pg would quote and escape every element of them.
    const found = await this.sql.query<ExistingPatient>(
      `SELECT id, mrn, phone, "firstName", "lastName", "preferredName", dob, email, tags, location, provider FROM (
         SELECT p.* FROM unnest(string_to_array($2, chr(31))) AS k(v) CROSS JOIN LATERAL (
           SELECT id, mrn, phone, "firstName", "lastName", "preferredName", dob, email, tags, location, provider, "createdAt"
             FROM "Patient" WHERE "orgId" = $1 AND mrn = k.v OFFSET 0) p
         UNION
         SELECT p.* FROM unnest(string_to_array($3, chr(31))) AS k(v) CROSS JOIN LATERAL (
           SELECT id, mrn, phone, "firstName", "lastName", "preferredName", dob, email, tags, location, provider, "createdAt"
             FROM "Patient" WHERE "orgId" = $1 AND phone = k.v OFFSET 0) p
       ) found ORDER BY "createdAt", id`,
      [this.orgId, mrns.join(KEY_SEPARATOR), phones.join(KEY_SEPARATOR)],
    );
    const byId = new Map<string, Known>(found.map((p) => [p.id, this.overlay.get(p.id) ?? p]));
    for (const mrn of mrns) {
      const id = this.overlayByMrn.get(mrn);
      if (id) byId.set(id, this.overlay.get(id)!);
    }
    for (const phone of phones) for (const id of this.phoneIds(phone)) byId.set(id, this.overlay.get(id)!);
    return [...byId.values()];
  }

  private remember(patient: Known): void {
    this.overlay.set(patient.id, patient);
    if (patient.mrn) this.overlayByMrn.set(patient.mrn, patient.id);
    if (patient.phone) {
      const ids = this.overlayByPhone.get(patient.phone);
      if (ids === undefined) this.overlayByPhone.set(patient.phone, patient.id);
      else if (typeof ids === 'string') {
        if (ids !== patient.id) this.overlayByPhone.set(patient.phone, [ids, patient.id]);
      } else if (!ids.includes(patient.id)) ids.push(patient.id);
    }
  }

  /** Patients sharing the row's MRN or phone: the batch's lookup, updated by rows before this one. */
  private candidates(v: PatientRowValues, batch: IndexedBatch): Known[] {
    // The batch's patients with the row's phone or MRN, in the lookup's order.
    const hits = batch.byPhone.get(v.phone);
    const mrnHits = v.mrn ? batch.byMrn.get(v.mrn) : undefined;
    const mrnId = v.mrn ? this.overlayByMrn.get(v.mrn) : undefined;
    // Most rows of a large file are new patients: nobody to match, and nothing to build.
    if (!hits && !mrnHits && !mrnId && !this.overlayByPhone.has(v.phone)) return [];
    const inBatch = mrnHits ? [...new Set([...(hits ?? []), ...mrnHits])].sort((a, b) => a - b) : (hits ?? []);
    const byId = new Map<string, Known>();
    for (const i of inBatch) {
      const p = batch.patients[i]!;
      byId.set(p.id, this.overlay.get(p.id) ?? p);
    }
    if (mrnId) byId.set(mrnId, this.overlay.get(mrnId)!);
    for (const id of this.phoneIds(v.phone)) byId.set(id, this.overlay.get(id)!);
    // A record whose MRN or phone this file already changed away no longer matches.
    return [...byId.values()].filter((p) => p.phone === v.phone || (v.mrn && p.mrn === v.mrn));
  }

  private resolveRow(row: ValidRow, batch: IndexedBatch): Outcome {
    const v = row.values;
    const pool = this.candidates(v, batch);
    const issues: RowIssue[] = [];
    let target: Known | null = null;
    let via = '';
    if (v.mrn) {
      target = pool.find((p) => p.mrn === v.mrn) ?? null;
      via = 'MRN';
    }
    if (!target && pool.length) {
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
      // Not touched by this file yet, so not in the overlay: the whole record from the database.
      const changes = diff(target as ExistingPatient, v);
      this.remember({ id: target.id, mrn: changes.mrn ?? target.mrn, phone: changes.phone ?? target.phone, firstName: changes.firstName ?? target.firstName });
      return Object.keys(changes).length ? { kind: 'update', line: row.line, id: target.id, changes, issues } : { kind: 'unchanged', line: row.line, id: target.id, issues };
    }

    const id = newPatientId();
    this.remember({ id, mrn: v.mrn, phone: v.phone, firstName: v.firstName });
    this.touchedBy.set(id, row.line);
    return { kind: 'create', line: row.line, id, values: v, issues };
  }

  private reject(row: ValidRow, issue: RowIssue): Outcome {
    return { kind: 'rejected', line: row.line, issues: [issue] };
  }
}

/** Random bytes for ids, drawn 4 KB at a time (256 ids); `idText` is where one id is written. */
const idEntropy = Buffer.alloc(4096);
let idEntropyAt = idEntropy.length;
const idText = Buffer.alloc(36);
const HEX = Buffer.from('0123456789abcdef', 'latin1');

/**
 * A new patient's id: a random (version 4) UUID, lowercase, as randomUUID() writes it, made as
 * one flat string. randomUUID() answers a string concatenated from many pieces (in V8, a tree
 * of ~14 "cons" strings, ~500 bytes): an import keeps one per row of the file (touchedBy; the
 * dry run's overlay), and flattening it made half of what matching allocated per row.
 */
export function newPatientId(): string {
  if (idEntropyAt === idEntropy.length) {
    randomFillSync(idEntropy);
    idEntropyAt = 0;
  }
  let out = 0;
  for (let i = 0; i < 16; i++) {
    let byte = idEntropy[idEntropyAt + i]!;
    if (i === 6) byte = (byte & 0x0f) | 0x40; // version 4
    if (i === 8) byte = (byte & 0x3f) | 0x80; // RFC 4122 variant
    if (i === 4 || i === 6 || i === 8 || i === 10) idText[out++] = 0x2d; // '-'
    idText[out++] = HEX[byte >> 4]!;
    idText[out++] = HEX[byte & 0x0f]!;
  }
  idEntropyAt += 16;
  return idText.toString('latin1', 0, 36);
}

/** The batch's lookup with, per phone and per MRN, the positions of its patients (in order). */
type IndexedBatch = { patients: Known[]; byPhone: Map<string, number[]>; byMrn: Map<string, number[]> };

function indexBatch(patients: Known[]): IndexedBatch {
  const byPhone = new Map<string, number[]>();
  const byMrn = new Map<string, number[]>();
  const add = (map: Map<string, number[]>, key: string, i: number) => {
    const list = map.get(key);
    if (list) list.push(i);
    else map.set(key, [i]);
  };
  patients.forEach((p, i) => {
    if (p.phone) add(byPhone, p.phone, i);
    if (p.mrn) add(byMrn, p.mrn, i);
  });
  return { patients, byPhone, byMrn };
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
