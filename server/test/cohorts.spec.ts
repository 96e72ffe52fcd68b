import type { CohortFilterInput } from '@caretext/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cohortPatients } from '../src/cohorts/cohort-patients.js';
import { cohortFilterSchema } from '@caretext/shared';
import { type ApiClient, orgWithStaff, PASSWORD, startTestServer, type TestServer } from './harness.js';

/**
 * Cohort filters, one by one, through cohorts.count and cohorts.preview, on a small org whose
 * patients differ in exactly the ways the filters look at. The org is in America/Chicago; the
 * test clock is set to a chosen instant so ages and dates are decided in that zone.
 */

let server: TestServer;
let admin: ApiClient;
let orgId: string;

let adminEmail: string;
/** Moves the test clock, and signs in again there (a jump of days would end the session). */
async function setNow(iso: string) {
  server.clock.advance(new Date(iso).getTime() - server.clock.now().getTime());
  const { token } = await server.anon.auth.signIn.mutate({ email: adminEmail, password: PASSWORD, client: 'extension' });
  admin = server.as(token!);
}

beforeAll(async () => {
  server = await startTestServer();
  const a = await orgWithStaff(server, 'Cohort Clinic');
  admin = a.admin.api;
  adminEmail = a.admin.email;
  orgId = a.org.id;
  const b = await orgWithStaff(server, 'Other Clinic');
  const p = server.db.prisma.patient;
  const base = { orgId, phoneLineType: 'mobile' };
  await p.create({ data: { ...base, firstName: 'Ann', lastName: 'Avery', location: 'Downtown', provider: 'Dr. Lee', tags: ['diabetes', 'spanish'], dob: '1990-04-22', phone: '+14155550101', email: 'ann@example.com', smsTransactionalOptIn: true, smsMarketingOptIn: true, source: 'import', createdAt: new Date('2026-03-01T05:59:00Z') } });
  await p.create({ data: { ...base, firstName: 'Bob', lastName: 'Baker', location: 'Uptown', provider: 'Dr. Lee', tags: ['diabetes'], dob: '1990-04-23', phone: '+14155550102', optedOutAt: new Date('2026-04-01T00:00:00Z'), source: 'staff', createdAt: new Date('2026-03-01T06:00:00Z') } });
  await p.create({ data: { ...base, firstName: 'Cy', lastName: 'Cole', location: 'Downtown', provider: 'Dr. Kim', tags: ['spanish'], dob: '2008-02-29', email: 'cy@example.com', blockedAt: new Date('2026-04-02T00:00:00Z'), emailSuppressedAt: new Date('2026-04-02T00:00:00Z'), source: 'import', createdAt: new Date('2026-04-10T12:00:00Z') } });
  await p.create({ data: { ...base, firstName: 'Dee', lastName: 'Dunn', emailMarketingOptIn: true, unsubscribedAt: new Date('2026-04-03T00:00:00Z'), source: 'inbound_sms', createdAt: new Date('2026-04-22T12:00:00Z') } });
  // Another organization's patient matches every filter below that Ann matches: never counted.
  await p.create({ data: { orgId: b.org.id, firstName: 'Zed', lastName: 'Other', location: 'Downtown', provider: 'Dr. Lee', tags: ['diabetes', 'spanish'], dob: '1990-04-22', phone: '+14155550109', email: 'zed@example.com', smsTransactionalOptIn: true, smsMarketingOptIn: true, source: 'import', createdAt: new Date('2026-03-01T05:59:00Z') } });
  await setNow('2026-04-22T16:00:00Z'); // 11:00 in Chicago
});
afterAll(async () => {
  await server?.stop();
});

async function names(filter: CohortFilterInput): Promise<string[]> {
  const [{ count }, { patients }] = await Promise.all([admin.cohorts.count.query({ filter }), admin.cohorts.preview.query({ filter, limit: 50 })]);
  const found = patients.map((p) => p.firstName!);
  expect(count).toBe(found.length);
  return found;
}

describe('cohort filters', () => {
  it('an empty filter is every patient of the org, and only of the org', async () => {
    expect(await names({})).toEqual(['Ann', 'Bob', 'Cy', 'Dee']);
  });

  it('location and provider match any of the values given', async () => {
    expect(await names({ locations: ['Downtown'] })).toEqual(['Ann', 'Cy']);
    expect(await names({ locations: ['Downtown', 'Uptown'] })).toEqual(['Ann', 'Bob', 'Cy']);
    expect(await names({ providers: ['Dr. Lee'] })).toEqual(['Ann', 'Bob']);
    expect(await names({ locations: ['Downtown'], providers: ['Dr. Lee'] })).toEqual(['Ann']);
  });

  it('tags match any or all', async () => {
    expect(await names({ tags: ['diabetes', 'spanish'], tagMatch: 'any' })).toEqual(['Ann', 'Bob', 'Cy']);
    expect(await names({ tags: ['diabetes', 'spanish'], tagMatch: 'all' })).toEqual(['Ann']);
    expect(await names({ tags: ["x') OR true --"] })).toEqual([]);
  });

  it('age range counts whole years on today in the org time zone', async () => {
    // Ann turns 36 today; Bob turns 36 tomorrow; Cy is 18; Dee has no date of birth.
    expect(await names({ ageMin: 36 })).toEqual(['Ann']);
    expect(await names({ ageMin: 35, ageMax: 35 })).toEqual(['Bob']);
    expect(await names({ ageMax: 20 })).toEqual(['Cy']);
    // 22:00 on April 22 in Chicago is already April 23 in UTC: Bob is still 35 there.
    await setNow('2026-04-23T03:00:00Z');
    expect(await names({ ageMin: 36 })).toEqual(['Ann']);
    await setNow('2026-04-23T05:00:00Z'); // midnight in Chicago
    expect(await names({ ageMin: 36 })).toEqual(['Ann', 'Bob']);
    await setNow('2026-04-22T16:00:00Z');
  });

  it('a February 29 birthday turns a year older on March 1 in a common year', async () => {
    await setNow('2026-02-28T18:00:00Z');
    expect(await names({ ageMin: 18, ageMax: 18 })).toEqual([]);
    await setNow('2026-03-01T18:00:00Z');
    expect(await names({ ageMin: 18, ageMax: 18 })).toEqual(['Cy']);
    await setNow('2026-04-22T16:00:00Z');
  });

  it('birthday months', async () => {
    expect(await names({ birthdayMonths: [4] })).toEqual(['Ann', 'Bob']);
    expect(await names({ birthdayMonths: [2, 12] })).toEqual(['Cy']);
  });

  it('birthday today, this month or next month, on the date in the org time zone', async () => {
    expect(await names({ birthdayWhen: 'today' })).toEqual(['Ann']);
    expect(await names({ birthdayWhen: 'this_month' })).toEqual(['Ann', 'Bob']);
    expect(await names({ birthdayWhen: 'next_month' })).toEqual([]);
    // 23:30 on April 30 in Chicago is already May 1 in UTC: still April here.
    await setNow('2026-05-01T04:30:00Z');
    expect(await names({ birthdayWhen: 'this_month' })).toEqual(['Ann', 'Bob']);
    await setNow('2026-05-01T05:30:00Z');
    expect(await names({ birthdayWhen: 'this_month' })).toEqual([]);
    // Cy, born February 29, has her birthday on March 1 in a common year.
    await setNow('2026-03-01T18:00:00Z');
    expect(await names({ birthdayWhen: 'today' })).toEqual(['Cy']);
    await setNow('2026-02-28T18:00:00Z');
    expect(await names({ birthdayWhen: 'today' })).toEqual([]);
    expect(await names({ birthdayWhen: 'this_month' })).toEqual(['Cy']);
    await setNow('2026-04-22T16:00:00Z');
  });

  it('has phone / has email', async () => {
    expect(await names({ hasPhone: true })).toEqual(['Ann', 'Bob']);
    expect(await names({ hasPhone: false })).toEqual(['Cy', 'Dee']);
    expect(await names({ hasEmail: true })).toEqual(['Ann', 'Cy']);
    expect(await names({ hasPhone: true, hasEmail: false })).toEqual(['Bob']);
  });

  it('consent state per field: set, not set, or either', async () => {
    expect(await names({ consent: { smsTransactionalOptIn: true } })).toEqual(['Ann']);
    expect(await names({ consent: { smsMarketingOptIn: false } })).toEqual(['Bob', 'Cy', 'Dee']);
    expect(await names({ consent: { emailMarketingOptIn: true } })).toEqual(['Dee']);
    expect(await names({ consent: { optedOut: true } })).toEqual(['Bob']);
    expect(await names({ consent: { optedOut: false, blocked: false } })).toEqual(['Ann', 'Dee']);
    expect(await names({ consent: { emailSuppressed: true } })).toEqual(['Cy']);
    expect(await names({ consent: { unsubscribed: true } })).toEqual(['Dee']);
  });

  it('created or imported in a date range of local days', async () => {
    expect(await names({ addedVia: 'import' })).toEqual(['Ann', 'Cy']);
    expect(await names({ addedVia: 'created' })).toEqual(['Bob', 'Dee']);
    // Ann was imported at 23:59 on February 28 in Chicago (05:59 UTC on March 1); Bob at midnight on March 1.
    expect(await names({ addedFrom: '2026-03-01', addedTo: '2026-03-01' })).toEqual(['Bob']);
    expect(await names({ addedTo: '2026-02-28' })).toEqual(['Ann']);
    expect(await names({ addedVia: 'import', addedFrom: '2026-04-01' })).toEqual(['Cy']);
  });

  it('refuses filters that make no sense or carry unknown keys', async () => {
    await expect(admin.cohorts.count.query({ filter: { ageMin: 40, ageMax: 30 } })).rejects.toThrow(/highest age is below the lowest/);
    await expect(admin.cohorts.count.query({ filter: { addedFrom: '2026-02-30' } })).rejects.toThrow(/Not a real date/);
    await expect(admin.cohorts.count.query({ filter: { orgId: 'x' } as never })).rejects.toThrow(/orgId/);
  });

  it('cohortPatients is one statement selecting patient ids, usable in INSERT ... SELECT', async () => {
    const filter = cohortFilterSchema.parse({ tags: ['spanish'] });
    const rows = await server.db.prisma.$queryRaw<{ patientId: string }[]>`SELECT "patientId" FROM (${cohortPatients(orgId, filter, { timeZone: 'America/Chicago', now: new Date() })}) AS c`;
    expect(rows).toHaveLength(2);
  });
});

describe('saved cohorts', () => {
  it('are created, listed with their live count, edited and deleted, each audited', async () => {
    const created = await admin.cohorts.create.mutate({ name: 'Diabetes, Spanish', filter: { tags: ['diabetes', 'spanish'], tagMatch: 'all' } });
    expect(created.filter.tagMatch).toBe('all');
    await expect(admin.cohorts.create.mutate({ name: 'Diabetes, Spanish', filter: {} })).rejects.toThrow(/already exists/);
    let list = await admin.cohorts.list.query();
    expect(list.map((c) => [c.name, c.patientCount])).toEqual([['Diabetes, Spanish', 1]]);
    await admin.cohorts.update.mutate({ cohortId: created.id, name: 'Diabetes', filter: { tags: ['diabetes'] } });
    list = await admin.cohorts.list.query();
    expect(list.map((c) => [c.name, c.patientCount, c.description])).toEqual([['Diabetes', 2, 'Tags (any): diabetes']]);
    expect((await admin.cohorts.get.query({ cohortId: created.id })).name).toBe('Diabetes');
    await admin.cohorts.delete.mutate({ cohortId: created.id });
    expect(await admin.cohorts.list.query()).toEqual([]);
    const audit = await server.db.prisma.auditEvent.findMany({ where: { orgId, targetId: created.id }, orderBy: { createdAt: 'asc' } });
    expect(audit.map((e) => e.action)).toEqual(['cohort.created', 'cohort.updated', 'cohort.deleted']);
  });

  it('a stored filter that this version cannot read is an error, never "every patient"', async () => {
    const row = await server.db.prisma.cohort.create({ data: { orgId, name: 'Broken', filter: { ageMin: 'old' } } });
    await expect(admin.cohorts.get.query({ cohortId: row.id })).rejects.toThrow();
    await server.db.prisma.cohort.delete({ where: { id: row.id } });
  });
});
