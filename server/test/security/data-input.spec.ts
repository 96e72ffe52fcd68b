import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, orgWithStaff, smsClinic, startTestServer, type TestServer, uploadCsv } from '../harness.js';

/**
 * Issue 9, items 13 and 15 for typed input: control characters are refused with a 400 by one
 * guard on every procedure, unexpected (database) errors reach the client as a generic message,
 * names and MRNs lose invisible characters, and impossible dates or ranges are refused.
 */

let server: TestServer;
let staff: Awaited<ReturnType<typeof orgWithStaff>>;
beforeAll(async () => {
  server = await startTestServer();
  staff = await orgWithStaff(server, 'Input Clinic');
});
afterAll(async () => {
  await server?.stop();
});

/** A tRPC call over plain HTTP (superjson envelope), to see the status and the raw body. */
async function rawCall(path: string, input: unknown, token: string | null, type: 'query' | 'mutation' = 'mutation') {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) };
  const url = `${server.url}/trpc/${path}`;
  const res =
    type === 'mutation'
      ? await fetch(url, { method: 'POST', headers, body: JSON.stringify({ json: input }) })
      : await fetch(`${url}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`, { headers });
  return { status: res.status, body: await res.text() };
}

/** Words that would tell an attacker about our database or code. */
const LEAKS = /prisma|postgres|pglite|sql|select |insert |update "|violates|constraint|relation|"Team"|stack|node_modules|\.ts:\d+|at async/i;

describe('control characters in any tRPC input', () => {
  it.each([
    ['NUL in a name', { firstName: 'Am\u0000ina' }, 'firstName'],
    ['ESC in an MRN', { firstName: 'Amina', mrn: 'M\u001b[31m1' }, 'mrn'],
    ['a C1 control', { firstName: 'Amina\u0085' }, 'firstName'],
    ['DEL', { lastName: 'Patel\u007f' }, 'lastName'],
    ['NUL in an array item', { firstName: 'Amina', tags: ['ok', 'b\u0000ad'] }, 'tags[1]'],
  ])('%s is refused with a 400 that names the field', async (_, input, field) => {
    const before = await server.db.prisma.patient.count();
    const res = await rawCall('patients.create', input, staff.member.token);
    expect(res.status).toBe(400);
    const { message, data } = JSON.parse(res.body).error.json;
    expect(data.code).toBe('BAD_REQUEST');
    expect(message).toMatch(/^Text cannot contain control characters or invalid Unicode: (\S+) has U\+[0-9A-F]{4}\. Remove it and try again\.$/);
    expect(message).toContain(`: ${field} has`);
    expect(await server.db.prisma.patient.count()).toBe(before);
  });

  it('is checked before sign-in and for a field name too', async () => {
    expect((await rawCall('auth.signIn', { email: 'a\u0000@b.example', password: 'x' }, null)).status).toBe(400);
    expect((await rawCall('patients.create', { ['first\u0000Name']: 'x' }, staff.member.token)).status).toBe(400);
    const viaClient = await errorOf(staff.member.api.patients.list.query({ query: 'MRN\u0000' }));
    expect(viaClient).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/invalid Unicode: query has U\+0000/) });
  });

  it('an unpaired surrogate (invalid Unicode, refused by jsonb) is a 400, not a database error', async () => {
    const res = await rawCall('ehrAdapters.save', { name: 'Lone', urlPattern: 'https://lone.example.com/*', selectors: { name: '#a\ud800' }, published: false }, staff.owner.token);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).error.json.message).toContain('selectors.name has an unpaired surrogate');
    expect(await server.db.prisma.ehrAdapter.count({ where: { name: 'Lone' } })).toBe(0);
  });

  it('tab, newline and carriage return stay allowed where text may hold them', async () => {
    const patient = await staff.member.api.patients.create.mutate({ firstName: 'Tab', lastName: 'Lines', location: 'Suite 4\r\nFloor\t2' });
    expect(patient.firstName).toBe('Tab');
  });
});

describe('internal errors never reach the client', () => {
  it('a database error through tRPC answers a generic 500 with no SQL, table or constraint names', async () => {
    // A constraint the service does not know about stands in for any unexpected database error.
    await server.db.sql.query(`ALTER TABLE "Team" ADD CONSTRAINT ct_test_no_boom CHECK (name <> 'Boom Team')`);
    try {
      const res = await rawCall('teams.create', { name: 'Boom Team' }, staff.owner.token);
      expect(res.status).toBe(500);
      const error = JSON.parse(res.body).error.json;
      expect(error.message).toBe('Something went wrong on the server. Please try again; if it keeps happening, contact support.');
      expect(error.data).toEqual({ code: 'INTERNAL_SERVER_ERROR', httpStatus: 500, path: 'teams.create' });
      expect(res.body).not.toMatch(LEAKS);
      expect(res.body).not.toContain('ct_test_no_boom');
      const viaClient = await errorOf(staff.owner.api.teams.create.mutate({ name: 'Boom Team' }));
      expect(viaClient.code).toBe('INTERNAL_SERVER_ERROR');
      expect(viaClient.message).not.toMatch(LEAKS);
    } finally {
      await server.db.sql.query('ALTER TABLE "Team" DROP CONSTRAINT ct_test_no_boom');
    }
  });

  it('a database error on a plain /api route answers a generic 500 JSON', async () => {
    await server.db.sql.query(`ALTER TABLE "ImportJob" ADD CONSTRAINT ct_test_no_boom CHECK ("fileName" <> 'boom.csv')`);
    try {
      const res = await fetch(`${server.url}/api/imports/patients?name=boom.csv`, { method: 'POST', headers: { authorization: `Bearer ${staff.member.token}`, 'content-type': 'text/csv' }, body: 'phone\n4155550100\n' });
      expect(res.status).toBe(500);
      const body = await res.text();
      expect(JSON.parse(body)).toEqual({ error: 'Something went wrong on the server. Please try again; if it keeps happening, contact support.' });
      expect(body).not.toMatch(LEAKS);
    } finally {
      await server.db.sql.query('ALTER TABLE "ImportJob" DROP CONSTRAINT ct_test_no_boom');
    }
    // Our own refusals on those routes keep their message and status.
    expect(await uploadCsv(server, staff.member.token, '')).toEqual({ status: 400, body: { error: 'The file is empty.' } });
  });

  it('our own errors keep their message', async () => {
    expect(await errorOf(staff.member.api.patients.get.query({ patientId: 'nope' }))).toEqual({ code: 'NOT_FOUND', message: 'Patient not found.' });
  });
});

describe('names and MRNs lose invisible characters wherever they enter', () => {
  it('creating MRN-0001 with a zero-width space is refused as a duplicate; match and search find the patient', async () => {
    const { member } = await orgWithStaff(server, 'Invisible Clinic');
    const amina = await member.api.patients.create.mutate({ firstName: 'Am\u200bina', lastName: '\u202ePatel\u202c', mrn: 'MRN-0001', phone: '4155550100' });
    expect(amina).toMatchObject({ firstName: 'Amina', lastName: 'Patel', mrn: 'MRN-0001' });
    for (const mrn of ['MRN-0001\u200b', '\u2066MRN-0001\u2069', 'ＭＲＮ－０００１', 'MRN-\ufeff0001']) {
      expect(await errorOf(member.api.patients.create.mutate({ firstName: 'Copy', mrn }))).toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('MRN-0001 already belongs to Amina Patel') });
      expect((await member.api.patients.match.query({ mrn })).patient?.id).toBe(amina.id);
      expect((await member.api.patients.list.query({ query: mrn })).patients.map((p) => p.id)).toEqual([amina.id]);
    }
    const other = await member.api.patients.create.mutate({ firstName: 'Other', mrn: 'MRN-0002' });
    expect(await errorOf(member.api.patients.update.mutate({ patientId: other.id, mrn: 'MRN-0001\u200d' }))).toMatchObject({ code: 'CONFLICT' });
    expect((await member.api.patients.list.query({ query: 'Am\u200bina' })).patients.map((p) => p.id)).toEqual([amina.id]);
    expect(await server.db.prisma.patient.count({ where: { mrn: { contains: '\u200b' } } })).toBe(0);
  });
});

describe('impossible dates and absurd ranges are refused', () => {
  it('a date of birth that does not exist', async () => {
    for (const dob of ['2023-02-30', '2023-13-01', '02/30/2023']) {
      expect((await errorOf(staff.member.api.patients.create.mutate({ firstName: 'Dob', dob }))).code).toBe('BAD_REQUEST');
    }
  });

  it('the audit filter: text like 2023-02-30, years like 0001 or 9999, and a start after the end', async () => {
    const audit = staff.owner.api.audit.list;
    expect((await rawCall('audit.list', { from: '2023-02-30' }, staff.owner.token, 'query')).status).toBe(400);
    expect((await rawCall('audit.list', { to: '2023-13-01' }, staff.owner.token, 'query')).status).toBe(400);
    expect((await errorOf(audit.query({ from: '2023-02-30' as unknown as Date }))).code).toBe('BAD_REQUEST');
    // A hand-made request typing an impossible timestamp as a Date (superjson would roll it over to 2 March).
    const asDate = (from: string) => encodeURIComponent(JSON.stringify({ json: { from }, meta: { values: { from: ['Date'] } } }));
    const rolled = await fetch(`${server.url}/trpc/audit.list?input=${asDate('2023-02-30T00:00:00.000Z')}`, { headers: { authorization: `Bearer ${staff.owner.token}` } });
    expect(rolled.status).toBe(400);
    expect(await rolled.text()).toContain('2023-02-30 is not a real date');
    const real = await fetch(`${server.url}/trpc/audit.list?input=${asDate('2026-02-28T00:00:00.000Z')}`, { headers: { authorization: `Bearer ${staff.owner.token}` } });
    expect(real.status).toBe(200);
    expect((await errorOf(audit.query({ from: new Date('0001-01-01T00:00:00Z') }))).code).toBe('BAD_REQUEST');
    expect((await errorOf(audit.query({ to: new Date('9999-12-31T00:00:00Z') }))).code).toBe('BAD_REQUEST');
    expect(await errorOf(audit.query({ from: new Date('2026-05-01T00:00:00Z'), to: new Date('2026-04-01T00:00:00Z') }))).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('The start date is after the end date.') });
    expect((await audit.query({ from: new Date('2026-01-01T00:00:00Z'), to: new Date('2026-12-31T00:00:00Z') })).events.length).toBeGreaterThan(0);
  });

  it('the phone log export: malformed, impossible or absurd ranges answer 400 with a message', async () => {
    const clinic = await smsClinic(server, '+14155550177', 'Range Clinic');
    const csv = (query: string) => fetch(`${server.url}/api/numbers/${clinic.number.id}/phone-log.csv${query}`, { headers: { authorization: `Bearer ${clinic.owner.token}` } });
    const cases: [string, RegExp][] = [
      ['?from=2023-02-30', /not a real date/],
      ['?to=2023-13-01', /not a real date/],
      ['?from=yesterday', /not a real date/],
      ['?from=0001-01-01', /year between 2000 and 2100/],
      ['?to=9999-12-31', /year between 2000 and 2100/],
      ['?from=2026-05-01&to=2026-04-01', /start date is after the end date/],
    ];
    for (const [query, message] of cases) {
      const res = await csv(query);
      expect(res.status, query).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(message);
    }
    expect((await csv('?from=2026-04-01&to=2026-04-30')).status).toBe(200);
  });
});
