import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, jobReaches, orgWithStaff, startTestServer, type TestServer, uploadCsv } from './harness.js';

let server: TestServer;
let staff: Awaited<ReturnType<typeof orgWithStaff>>;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});

/** A fresh org per test keeps the patient counts exact. */
async function freshOrg() {
  staff = await orgWithStaff(server, 'Import Clinic');
  return staff.member;
}

async function dryRun(user: { token: string; api: Parameters<typeof jobReaches>[0] }, csv: string | Uint8Array, name?: string) {
  const upload = await uploadCsv(server, user.token, csv, name);
  expect(upload.status, upload.body.error).toBe(201);
  return jobReaches(user.api, upload.body.jobId!, ['ready', 'invalid', 'failed']);
}

async function importAll(user: { token: string; api: Parameters<typeof jobReaches>[0] }, csv: string | Uint8Array) {
  const job = await dryRun(user, csv);
  expect(job.status).toBe('ready');
  await user.api.imports.confirm.mutate({ jobId: job.id });
  return jobReaches(user.api, job.id, ['completed', 'failed', 'cancelled']);
}

const SEED = [
  'phone,mrn,first_name,last_name,dob',
  '(555) 123-4567,MRN-0001,Amina,Patel,1985-03-14,amina@example.com',
  '(555) 234-5678,MRN-0002,Jordan,Lee,1990-07-22,jordan@example.com',
  '(555) 345-6789,John,Smith,,',
  '(555) 456-7890,MRN-0004,cora@example.com',
].join('\n');

describe('CSV import: dry run', () => {
  it("reports the product docs' seed example row by row before writing anything", async () => {
    const user = await freshOrg();
    const job = await dryRun(user, SEED, 'seed.csv');
    expect(job.status).toBe('ready');
    expect(job.report!.dryRun).toEqual({ created: 2, updated: 0, unchanged: 0, rejected: 2, total: 4, warnings: 2 });
    const { issues } = await user.api.imports.issues.query({ jobId: job.id });
    expect(issues.map((i) => [i.line, i.severity, i.field])).toEqual([
      [2, 'warning', null],
      [3, 'warning', null],
      [4, 'error', 'mrn'],
      [5, 'error', 'first_name'],
    ]);
    expect(issues[0]!.message).toContain('Column 6 has no header; it holds an email ("amina@example.com")');
    expect(issues[2]!.message).toBe('mrn "John" looks like a name: is a column missing or shifted in this row?');
    expect((await user.api.patients.list.query({})).total).toBe(0);
  });

  it('calls out unrecognized headers with a suggestion and refuses a file without a phone column', async () => {
    const user = await freshOrg();
    const typo = await dryRun(user, 'phone,First_Name,last_name\n4155550101,Ann,Lee\n');
    expect(typo.report!.header.unrecognized).toEqual([expect.objectContaining({ header: 'First_Name', suggestion: 'first_name' })]);
    expect(typo.report!.header.unrecognized[0]!.message).toContain('did you mean first_name?');
    const noPhone = await dryRun(user, 'Phone Number,mrn\n4155550101,M1\n');
    expect(noPhone.status).toBe('invalid');
    expect(noPhone.report!.header.errors).toEqual(['The file has no "phone" column (required). Did you mean to name "Phone Number" phone?']);
    expect((await errorOf(user.api.imports.confirm.mutate({ jobId: noPhone.id }))).message).toContain('cannot be started: it is invalid');
  });

  it('reads a UTF-8 BOM, CRLF line ends, semicolons, quoted fields and Excel text marks', async () => {
    const user = await freshOrg();
    const csv = '\ufeffphone;mrn;first_name;last_name;dob;email\r\n"(415) 555-0101";M-1;"Ann; Marie";"O\'Neil";03/14/1985;ann@example.com\r\n\'+1 415 555 0102;M-2;Bo;"Smith ""Jr""";1990-07-22;\r\n';
    const job = await importAll(user, csv);
    expect(job.applied).toEqual({ created: 2, updated: 0, unchanged: 0, rejected: 0 });
    const { patients } = await user.api.patients.list.query({});
    expect(patients.map((p) => [p.phone, p.mrn, p.firstName, p.lastName, p.dob])).toEqual([
      ['+14155550101', 'M-1', 'Ann; Marie', "O'Neil", '1985-03-14'],
      ['+14155550102', 'M-2', 'Bo', 'Smith "Jr"', '1990-07-22'],
    ]);
  });

  it('reads a Windows-1252 export (accents) and a UTF-16 "Unicode text" export', async () => {
    const user = await freshOrg();
    const latin1 = Buffer.from('phone,first_name,last_name\n4155550111,José,Muñoz\n', 'latin1');
    await importAll(user, latin1);
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('phone\tfirst_name\n4155550112\tZoë\n', 'utf16le')]);
    await importAll(user, utf16);
    const names = (await user.api.patients.list.query({})).patients.map((p) => p.firstName).sort();
    expect(names).toEqual(['José', 'Zoë']);
  });

  it('rejects a row that repeats an earlier row of the same file, naming the line', async () => {
    const user = await freshOrg();
    const job = await dryRun(user, 'phone,mrn,first_name\n4155550121,M-9,Ann\n4155550122,M-9,Ann\n4155550121,,ann\n');
    expect(job.report!.dryRun).toMatchObject({ created: 1, rejected: 2 });
    const { issues } = await user.api.imports.issues.query({ jobId: job.id, severity: 'error' });
    expect(issues.map((i) => i.message)).toEqual(['Duplicate of line 2: same patient (matched by MRN)', 'Duplicate of line 2: same patient (matched by phone)']);
  });
});

describe('CSV import: matching', () => {
  it('the MRN wins over a phone that belongs to someone else, and only non-empty fields update', async () => {
    const user = await freshOrg();
    const byMrn = await user.api.patients.create.mutate({ mrn: 'MRN-7', firstName: 'Amina', lastName: 'Patel', phone: '4155550131', email: 'amina@example.com' });
    const byPhone = await user.api.patients.create.mutate({ firstName: 'Zed', phone: '4155550132' });
    const job = await importAll(user, 'phone,mrn,first_name,last_name,email\n4155550132,MRN-7,,Patel-Shah,\n');
    expect(job.applied, JSON.stringify(job)).toEqual({ created: 0, updated: 1, unchanged: 0, rejected: 0 });
    const updated = await user.api.patients.get.query({ patientId: byMrn.id });
    expect(updated).toMatchObject({ phone: '+14155550132', firstName: 'Amina', lastName: 'Patel-Shah', email: 'amina@example.com' });
    expect((await user.api.patients.get.query({ patientId: byPhone.id })).firstName).toBe('Zed');
    const { issues } = await user.api.imports.issues.query({ jobId: job.id });
    expect(issues[0]!.message).toContain('(the MRN wins)');
  });

  it('matches by phone, leaves identical rows unchanged, and keeps a family member with another name separate', async () => {
    const user = await freshOrg();
    await user.api.patients.create.mutate({ firstName: 'Mom', lastName: 'Diaz', phone: '4155550141' });
    const job = await importAll(user, 'phone,first_name,last_name,dob\n4155550141,Mom,Diaz,\n4155550141,Kid,Diaz,2015-05-05\n');
    expect(job.applied).toEqual({ created: 1, updated: 0, unchanged: 1, rejected: 0 });
    const family = await user.api.patients.list.query({ query: '(415) 555-0141' });
    expect(family.patients.map((p) => p.firstName).sort()).toEqual(['Kid', 'Mom']);
  });

  it('keeps tags, quotes and commas intact, and adds tags to a matched patient without removing any', async () => {
    const user = await freshOrg();
    const existing = await user.api.patients.create.mutate({ mrn: 'T-1', firstName: 'Ann', phone: '4155550181', tags: ['vip'] });
    const csv = 'phone,mrn,first_name,last_name,tags\n4155550181,T-1,Ann,,"diabetes; spanish"\n4155550182,T-2,"Bo, Jr","O""Neil","say ""hi""; back\\slash"\n';
    const job = await importAll(user, csv);
    expect(job.applied).toEqual({ created: 1, updated: 1, unchanged: 0, rejected: 0 });
    expect((await user.api.patients.get.query({ patientId: existing.id })).tags).toEqual(['vip', 'diabetes', 'spanish']);
    const [bo] = (await user.api.patients.list.query({ query: 'T-2' })).patients;
    expect(bo).toMatchObject({ firstName: 'Bo, Jr', lastName: 'O"Neil', tags: ['say "hi"', 'back\\slash'] });
  });

  it('matches MRNs holding commas, quotes, braces, backslashes and spaces exactly (the lookup sends its keys as text)', async () => {
    const user = await freshOrg();
    const mrns = ['A,1', 'B"2', 'C{3}', 'D\\4', 'E 5'];
    for (const [i, mrn] of mrns.entries()) await user.api.patients.create.mutate({ mrn, firstName: `Old${i}`, phone: `41555502${10 + i}` });
    const quoted = (mrn: string) => `"${mrn.replace(/"/g, '""')}"`;
    // Other phones: only the MRN can match them.
    const csv = ['phone,mrn,first_name', ...mrns.map((mrn, i) => `41555503${10 + i},${quoted(mrn)},New${i}`)].join('\n');
    const job = await importAll(user, csv);
    expect(job.applied, JSON.stringify(await user.api.imports.issues.query({ jobId: job.id }))).toEqual({ created: 0, updated: mrns.length, unchanged: 0, rejected: 0 });
    for (const [i, mrn] of mrns.entries()) {
      const { patients } = await user.api.patients.list.query({ query: `41555503${10 + i}` });
      expect(patients.map((p) => [p.mrn, p.firstName])).toEqual([[mrn, `New${i}`]]);
    }
  });

  it('importing the same file twice creates no duplicates, and the second dry run says when it was imported', async () => {
    const user = await freshOrg();
    const csv = 'phone,mrn,first_name,last_name\n4155550151,A1,Ann,One\n4155550152,,Bea,Two\n4155550153,A3,Cy,Three\n';
    const first = await importAll(user, csv);
    expect(first.applied.created).toBe(3);
    const again = await dryRun(user, csv);
    expect(again.report!.dryRun).toMatchObject({ created: 0, updated: 0, unchanged: 3 });
    expect(again.previousImport).toMatchObject({ by: 'A member', created: 3 });
    await user.api.imports.confirm.mutate({ jobId: again.id });
    const second = await jobReaches(user.api, again.id, ['completed']);
    expect(second.applied).toEqual({ created: 0, updated: 0, unchanged: 3, rejected: 0 });
    expect((await user.api.patients.list.query({})).total).toBe(3);
  });
});

describe('CSV import: safety', () => {
  it('refuses the same file while its import is in progress, and confirms only once on a double click', async () => {
    const user = await freshOrg();
    const csv = 'phone,first_name\n4155550161,Ann\n';
    const job = await dryRun(user, csv);
    const again = await uploadCsv(server, user.token, csv);
    expect(again.status).toBe(409);
    expect(again.body.error).toContain('already being imported');
    expect(again.body.jobId).toBe(job.id); // the UI links to the import that holds the file
    await Promise.all([user.api.imports.confirm.mutate({ jobId: job.id }), user.api.imports.confirm.mutate({ jobId: job.id })]);
    await jobReaches(user.api, job.id, ['completed']);
    expect((await user.api.patients.list.query({})).total).toBe(1);
    const confirmations = (await staff.owner.api.audit.list.query({ action: 'import.confirmed' })).events;
    expect(confirmations).toHaveLength(1);
    // Once finished, the same file may be uploaded again (its dry run shows it is all unchanged).
    expect((await uploadCsv(server, user.token, csv)).status).toBe(201);
  });

  it('a cancelled dry run writes nothing; an empty or oversized file gets a clear error', async () => {
    const user = await freshOrg();
    const job = await dryRun(user, 'phone\n4155550171\n');
    // The dry run keeps the rows it checked for the apply; a cancel drops them.
    expect(await server.db.prisma.importCheckedBatch.count({ where: { jobId: job.id } })).toBe(1);
    await user.api.imports.cancel.mutate({ jobId: job.id });
    expect(await server.db.prisma.importCheckedBatch.count({ where: { jobId: job.id } })).toBe(0);
    expect((await errorOf(user.api.imports.confirm.mutate({ jobId: job.id }))).message).toContain('cancelled');
    expect((await user.api.patients.list.query({})).total).toBe(0);
    expect(await uploadCsv(server, user.token, '')).toEqual({ status: 400, body: { error: 'The file is empty.' } });
    const big = await uploadCsv(server, user.token, 'phone\n' + '4155550171\n'.repeat(300_000));
    expect(big).toEqual({ status: 413, body: { error: 'The file is larger than 2 MB. Split it into smaller files.' } });
    // Without a declared length (a streamed body) the limit is enforced while reading.
    const streamed = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 30; i++) controller.enqueue(new TextEncoder().encode('4155550171\n'.repeat(10_000)));
        controller.close();
      },
    });
    const res = await fetch(`${server.url}/api/imports/patients`, { method: 'POST', headers: { authorization: `Bearer ${user.token}` }, body: streamed, duplex: 'half' } as RequestInit);
    expect(res.status).toBe(413);
    expect(await server.db.prisma.importChunk.count()).toBeGreaterThan(0); // earlier jobs keep theirs...
    expect(await server.db.prisma.importJob.count({ where: { status: 'uploading' } })).toBe(0); // ...the refused one left nothing
  });

  it('the report download lists rejected rows with their original cells, spreadsheet-safe', async () => {
    const user = await freshOrg();
    const job = await dryRun(user, SEED);
    const res = await fetch(`${server.url}/api/imports/${job.id}/report.csv`, { headers: { authorization: `Bearer ${user.token}` } });
    expect(res.headers.get('content-type')).toContain('text/csv');
    const lines = (await res.text()).replace(/^\ufeff/, '').trim().split('\r\n');
    expect(lines[0]).toBe('line,severity,problem,phone,mrn,first_name,last_name,dob');
    expect(lines).toHaveLength(5);
    expect(lines[3]).toBe('4,rejected,"mrn ""John"" looks like a name: is a column missing or shifted in this row?",(555) 345-6789,John,Smith,,');
    const other = await orgWithStaff(server, 'Other Clinic');
    const foreign = await fetch(`${server.url}/api/imports/${job.id}/report.csv`, { headers: { authorization: `Bearer ${other.owner.token}` } });
    expect(foreign.status).toBe(404);
  });

  it('imports 10,000 rows with exact counts', async () => {
    const user = await freshOrg();
    const rows = ['phone,mrn,first_name,last_name,dob'];
    for (let i = 0; i < 10_000; i++) rows.push(`(415) 55${String(i).padStart(5, '0').slice(0, 1)}-${String(i).padStart(5, '0').slice(1)},MRN-${i},First${i},Last${i},1980-01-${String((i % 28) + 1).padStart(2, '0')}`);
    const job = await importAll(user, rows.join('\n'));
    expect(job.applied).toEqual({ created: 10_000, updated: 0, unchanged: 0, rejected: 0 });
    expect(job.processedRows).toBe(10_000);
    expect(await server.db.prisma.importCheckedBatch.count({ where: { jobId: job.id } })).toBe(0);
    expect(await server.db.prisma.patient.count({ where: { orgId: (await user.api.orgs.current.query()).id } })).toBe(10_000);
    const found = await user.api.patients.list.query({ query: '415.550.9999' });
    expect(found.patients.map((p) => p.mrn)).toEqual(['MRN-9999']);
  }, 120_000);
});
