import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, errorOf, orgWithStaff, startTestServer, type TestServer } from './harness.js';

/**
 * Issue 13, "Patients on this page": the rows of an EHR list (the schedule fixture,
 * test/fixtures/ehr/schedule.html, as the extension's background sends them) matched by the
 * same rules as the sidebar's single patient; unmatched rows come back with the reason, never
 * with a guessed patient.
 */

type SeedPatient = { key: string; firstName: string; lastName: string; mrn?: string; dob: string; phone?: string };
const SEED = JSON.parse(readFileSync(new URL('../../test/fixtures/ehr/schedule-patients.json', import.meta.url), 'utf8')).patients as SeedPatient[];

/** schedule.html's rows, normalized as the extension does (first/last from "Last, First", DOB YYYY-MM-DD, phone as shown). */
const SCHEDULE_ROWS = [
  { firstName: 'Phil', lastName: 'Lopez', dob: '1972-02-09', mrn: 'RC-1001', phone: '(415) 555-0201' },
  { firstName: 'Maria', lastName: 'Garcia', dob: '1985-03-14', mrn: 'RC-1002', phone: '(415) 555-0202' },
  { firstName: 'Wei', lastName: 'Chen', dob: '1990-11-30', mrn: 'RC-1003', phone: '(415) 555-0203' },
  { firstName: 'Quinn', lastName: 'Nobody', dob: '1995-05-05', mrn: 'Q-404', phone: '(415) 555-0299' },
  { firstName: 'Ben', lastName: 'Okafor', dob: '1968-11-02', mrn: 'RC-1005', phone: '(415) 555-0205' },
  { firstName: 'Dana', lastName: 'Whitfield', dob: '1996-02-29', mrn: 'RC-1006', phone: '(415) 555-0206' },
  { firstName: 'Grace', lastName: 'Okafor', dob: '1971-07-04', mrn: 'RC-1007', phone: '(415) 555-0207' },
  { firstName: 'Rosa', lastName: 'Delgado', dob: '1985-03-14', mrn: 'RC-1008', phone: '(415) 555-0208' },
];

let server: TestServer;
let staff: Awaited<ReturnType<typeof orgWithStaff>>;
let ids: Record<string, string>;

async function seedSchedulePatients(api: ApiClient): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const { key, ...p } of SEED) out[key] = (await api.patients.create.mutate(p)).id;
  return out;
}

beforeAll(async () => {
  server = await startTestServer();
  staff = await orgWithStaff(server, 'Schedule Clinic');
  ids = await seedSchedulePatients(staff.member.api);
});
afterAll(async () => {
  await server?.stop();
});

describe('patients.matchMany: the patients on an EHR page', () => {
  it('matches the schedule’s rows like the single-patient match; the unknown patient and the DOB mismatch are listed with the reason, never guessed', async () => {
    const answer = await staff.member.api.patients.matchMany.mutate({ rows: SCHEDULE_ROWS });
    expect(answer.rows.map((r) => (r.status === 'matched' ? [r.index, r.patient.id, r.matchedBy] : [r.index, r.reason]))).toEqual([
      [0, ids.phil, 'mrn'],
      [1, ids.maria, 'mrn'],
      [2, ids.wei, 'phone'],
      [3, 'no_patient'],
      [4, ids.ben, 'mrn'],
      [5, ids.dana, 'name_dob'],
      [6, 'dob_mismatch'],
      [7, ids.rosa, 'mrn'],
    ]);
    expect(answer).toMatchObject({ matched: 6, unmatched: 2 });
    expect(answer.rows[0]).toEqual({ index: 0, status: 'matched', patient: { id: ids.phil, displayName: 'Phil Lopez' }, matchedBy: 'mrn' });
    // An unmatched row names no candidate: Grace Okafor's record stays out of the answer.
    expect(JSON.stringify(answer.rows[6])).not.toContain(ids.grace!);
    // Row by row, the single-patient match agrees.
    for (const [i, row] of SCHEDULE_ROWS.entries()) {
      const single = await staff.member.api.patients.match.query(row);
      const many = answer.rows[i]!;
      expect(single.patient?.id ?? null, `row ${i}`).toBe(many.status === 'matched' ? many.patient.id : null);
    }
    // The single match shows the DOB conflict as a candidate to check, not as the patient.
    expect(await staff.member.api.patients.match.query(SCHEDULE_ROWS[6]!)).toMatchObject({ patient: null, matchedBy: null, differentDob: { id: ids.grace, dob: '1971-07-14' } });
  });

  it('says when a family phone or a name + DOB fits several patients, and when the MRN differs', async () => {
    const { member } = await orgWithStaff(server, 'Family Clinic');
    await member.api.patients.create.mutate({ firstName: 'Ana', lastName: 'Silva', phone: '4155550311', dob: '1980-01-01' });
    await member.api.patients.create.mutate({ firstName: 'Leo', lastName: 'Silva', phone: '4155550311', dob: '2012-05-05' });
    await member.api.patients.create.mutate({ firstName: 'Sam', lastName: 'Twin', dob: '2000-02-02' });
    await member.api.patients.create.mutate({ firstName: 'Sam', lastName: 'Twin', dob: '2000-02-02' });
    const kim = await member.api.patients.create.mutate({ firstName: 'Rae', lastName: 'Kim', mrn: 'K-1', phone: '4155550312' });
    const answer = await member.api.patients.matchMany.mutate({
      rows: [
        { phone: '415-555-0311' },
        { firstName: 'Sam', lastName: 'Twin', dob: '02/02/2000' },
        { mrn: 'K-2', phone: '4155550312' },
        { firstName: 'Leo', lastName: 'Silva', phone: '4155550311', dob: '2012-05-05' },
        { mrn: 'k-1' },
      ],
    });
    expect(answer.rows.map((r) => (r.status === 'matched' ? r.matchedBy : r.reason))).toEqual(['several_candidates', 'several_candidates', 'different_mrn', 'phone', 'mrn']);
    expect(answer.rows[4]).toMatchObject({ patient: { id: kim.id } });
  });

  it('audits one event per call, with counts and no names; refuses more than 200 rows', async () => {
    await staff.member.api.patients.matchMany.mutate({ rows: SCHEDULE_ROWS });
    const events = (await staff.owner.api.audit.list.query({ action: 'patient.list_matched' })).events;
    const last = events[0]!;
    expect(last.summary).toBe('Matched a list of 8 patients from an EHR page in the sidebar (6 matched, 2 not)');
    for (const name of ['Lopez', 'Nobody', 'Okafor', 'RC-10']) expect(JSON.stringify(last)).not.toContain(name);
    const tooMany = Array.from({ length: 201 }, (_, i) => ({ mrn: `X-${i}` }));
    expect((await errorOf(staff.member.api.patients.matchMany.mutate({ rows: tooMany }))).code).toBe('BAD_REQUEST');
    expect((await staff.member.api.patients.matchMany.mutate({ rows: tooMany.slice(0, 200) })).unmatched).toBe(200);
  });
});

describe('admin-defined adapters with a patient list', () => {
  it('save a row selector with per-field selectors inside it; members (the extension) get it with the published adapter', async () => {
    const none = { name: null, firstName: null, lastName: null, dob: null, mrn: null, phone: null, email: null };
    const rows = { row: '#day-schedule tbody tr', fields: { ...none, name: 'td:nth-child(2)', dob: 'td:nth-child(3)', mrn: 'td:nth-child(4)' } };
    // A list alone is enough (a schedule page shows no single patient).
    const saved = await staff.owner.api.ehrAdapters.save.mutate({ name: 'Schedule EHR', urlPattern: 'https://sched.example.com/day/*', selectors: none, rows, published: true });
    expect(await staff.member.api.ehrAdapters.list.query()).toEqual([expect.objectContaining({ id: saved.id, rows })]);
    const empty = await errorOf(staff.owner.api.ehrAdapters.save.mutate({ name: 'Empty rows', urlPattern: 'https://x.example.com/*', selectors: none, rows: { row: 'tr', fields: none }, published: false }));
    expect(empty).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('patient list') });
    // Clearing the list keeps the adapter (its single-patient selectors) and drops the rows.
    await staff.owner.api.ehrAdapters.save.mutate({ adapterId: saved.id, name: 'Schedule EHR', urlPattern: 'https://sched.example.com/day/*', selectors: { ...none, mrn: '.mrn' }, rows: null, published: true });
    expect((await staff.member.api.ehrAdapters.list.query())[0]).toMatchObject({ rows: null, selectors: { mrn: '.mrn' } });
  });
});
