import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, orgWithStaff, startTestServer, type TestServer } from '../harness.js';

/**
 * patients.matchMany ("Patients on this page" in the EHR sidebar): signed out, nothing; any
 * member of the org matches against their own org's patients only; another org's patients never
 * match, however exactly the rows name them, and are never hinted at (no candidate, no count).
 */

let server: TestServer;
let a: Awaited<ReturnType<typeof orgWithStaff>>;
let b: Awaited<ReturnType<typeof orgWithStaff>>;
const bRows = [
  { mrn: 'BSEC-1', firstName: 'Berta', lastName: 'Bsecret', dob: '1970-01-01', phone: '4155550461' },
  { firstName: 'Carl', lastName: 'Bhidden', dob: '1971-02-02', phone: '4155550462' },
];

beforeAll(async () => {
  server = await startTestServer();
  a = await orgWithStaff(server, 'List Sec A');
  b = await orgWithStaff(server, 'List Sec B');
  await a.member.api.patients.create.mutate({ mrn: 'ASEC-1', firstName: 'Alma', lastName: 'Apple', dob: '1980-03-03', phone: '4155550463' });
  for (const row of bRows) await b.member.api.patients.create.mutate(row);
});
afterAll(async () => {
  await server?.stop();
});

describe('patients.matchMany: access', () => {
  it('a signed-out caller matches nothing', async () => {
    expect((await errorOf(server.anon.patients.matchMany.mutate({ rows: bRows }))).code).toBe('UNAUTHORIZED');
  });

  it("another org's patients never match: by MRN, phone or name + DOB, they are 'no patient'", async () => {
    for (const who of [a.member, a.owner]) {
      const answer = await who.api.patients.matchMany.mutate({ rows: [...bRows, { mrn: 'ASEC-1' }] });
      expect(answer.rows.map((r) => (r.status === 'matched' ? r.patient.displayName : r.reason))).toEqual(['no_patient', 'no_patient', 'Alma Apple']);
      expect(JSON.stringify(answer)).not.toMatch(/Bsecret|Bhidden|BSEC/);
    }
    // The same rows in their own org: matched (the test would pass vacuously otherwise).
    expect((await b.member.api.patients.matchMany.mutate({ rows: bRows })).matched).toBe(2);
  });

  it('the audit event lands in the caller’s org only', async () => {
    await a.member.api.patients.matchMany.mutate({ rows: bRows });
    const bEvents = (await b.owner.api.audit.list.query({ action: 'patient.list_matched' })).events;
    const aEvents = (await a.owner.api.audit.list.query({ action: 'patient.list_matched' })).events;
    expect(aEvents.length).toBeGreaterThanOrEqual(3);
    expect(bEvents).toHaveLength(1);
  });
});
