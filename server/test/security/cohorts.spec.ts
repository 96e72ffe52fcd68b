import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, orgWithStaff, startTestServer, type TestServer } from '../harness.js';
import { trpcFetch, webCookie } from './http-helpers.js';

/**
 * Cohorts: who may do what. Signed out: nothing. Any member of the org: list, get, count,
 * preview, options (members already see every patient of their org). Creating, editing and
 * deleting: admins and owners only. Another org: its cohorts are NOT_FOUND, its patients are
 * never counted or previewed. Filters are data, never SQL.
 */

let server: TestServer;
let a: Awaited<ReturnType<typeof orgWithStaff>>;
let b: Awaited<ReturnType<typeof orgWithStaff>>;
let cohortA: { id: string };
let cohortB: { id: string };

beforeAll(async () => {
  server = await startTestServer();
  a = await orgWithStaff(server, 'Cohort Sec A');
  b = await orgWithStaff(server, 'Cohort Sec B');
  await a.member.api.patients.create.mutate({ firstName: 'Alma', lastName: 'Apple', phone: '4155550401', tags: ['flu'] });
  await b.member.api.patients.create.mutate({ firstName: 'Berta', lastName: 'Bsecret', phone: '4155550402', tags: ['flu'] });
  cohortA = await a.admin.api.cohorts.create.mutate({ name: 'Flu A', filter: { tags: ['flu'] } });
  cohortB = await b.owner.api.cohorts.create.mutate({ name: 'Flu B', filter: { tags: ['flu'] } });
});
afterAll(async () => {
  await server?.stop();
});

describe('cohorts: access', () => {
  it('a signed-out caller can do nothing', async () => {
    for (const call of [server.anon.cohorts.list.query(), server.anon.cohorts.count.query({ filter: {} }), server.anon.cohorts.preview.query({ filter: {} }), server.anon.cohorts.create.mutate({ name: 'x', filter: {} })]) {
      expect((await errorOf(call)).code).toBe('UNAUTHORIZED');
    }
  });

  it('a plain member reads, counts and previews, but cannot create, edit or delete', async () => {
    const member = a.member.api;
    expect((await member.cohorts.list.query()).map((c) => [c.name, c.patientCount])).toEqual([['Flu A', 1]]);
    expect((await member.cohorts.get.query({ cohortId: cohortA.id })).name).toBe('Flu A');
    expect(await member.cohorts.count.query({ filter: { tags: ['flu'] } })).toEqual({ count: 1 });
    expect((await member.cohorts.preview.query({ filter: {} })).patients.map((p) => p.firstName)).toEqual(['Alma']);
    expect((await errorOf(member.cohorts.create.mutate({ name: 'Mine', filter: {} }))).code).toBe('FORBIDDEN');
    expect((await errorOf(member.cohorts.update.mutate({ cohortId: cohortA.id, name: 'Everyone', filter: {} }))).code).toBe('FORBIDDEN');
    expect((await errorOf(member.cohorts.delete.mutate({ cohortId: cohortA.id }))).code).toBe('FORBIDDEN');
    expect(await server.db.prisma.cohort.findUnique({ where: { id: cohortA.id } })).toMatchObject({ name: 'Flu A', filter: { tags: ['flu'] } });
  });

  it('an owner and an admin manage cohorts', async () => {
    const made = await a.owner.api.cohorts.create.mutate({ name: 'Owner made', filter: {} });
    await a.admin.api.cohorts.update.mutate({ cohortId: made.id, name: 'Admin edited', filter: { hasPhone: true } });
    await a.admin.api.cohorts.delete.mutate({ cohortId: made.id });
    expect(await server.db.prisma.cohort.findUnique({ where: { id: made.id } })).toBeNull();
  });

  it("another org's cohort is NOT_FOUND and unchanged; its patients are never counted or shown", async () => {
    const admin = a.owner.api;
    expect((await errorOf(admin.cohorts.get.query({ cohortId: cohortB.id }))).code).toBe('NOT_FOUND');
    expect((await errorOf(admin.cohorts.update.mutate({ cohortId: cohortB.id, name: 'Taken', filter: {} }))).code).toBe('NOT_FOUND');
    expect((await errorOf(admin.cohorts.delete.mutate({ cohortId: cohortB.id }))).code).toBe('NOT_FOUND');
    expect(await server.db.prisma.cohort.findUnique({ where: { id: cohortB.id } })).toMatchObject({ name: 'Flu B' });
    expect(await admin.cohorts.count.query({ filter: { tags: ['flu'] } })).toEqual({ count: 1 });
    const shown = JSON.stringify([await admin.cohorts.preview.query({ filter: {}, limit: 50 }), await admin.cohorts.options.query(), await admin.cohorts.list.query()]);
    expect(shown).not.toContain('Bsecret');
    expect(shown).not.toContain('Flu B');
    // Names are unique per org only: B's name is free in A.
    await admin.cohorts.create.mutate({ name: 'Flu B', filter: {} });
  });

  it('filter values are data: quotes, SQL and a smuggled orgId do nothing', async () => {
    const admin = a.owner.api;
    expect(await admin.cohorts.count.query({ filter: { locations: ["' OR 1=1 --"], providers: ['"); DROP TABLE "Patient"; --'], tags: ["flu'] OR true --"] } })).toEqual({ count: 0 });
    expect((await errorOf(admin.cohorts.count.query({ filter: { orgId: b.org.id } as never }))).code).toBe('BAD_REQUEST');
    expect((await errorOf(admin.cohorts.preview.query({ filter: {}, limit: 10_000 }))).code).toBe('BAD_REQUEST');
    expect(await server.db.prisma.patient.count()).toBeGreaterThanOrEqual(2);
  });

  it("a hostile web page cannot use an admin's cookie to change cohorts, nor read a preview", async () => {
    const cookie = await webCookie(server, a.owner.email);
    const before = await server.db.prisma.cohort.findMany({ where: { orgId: a.org.id }, orderBy: { id: 'asc' } });
    const forged = await trpcFetch(server, 'cohorts.create', { headers: { origin: 'https://evil.example', cookie, 'content-type': 'text/plain' }, body: JSON.stringify({ json: { name: 'Evil', filter: {} } }) });
    expect(forged.status).toBe(403);
    const deleted = await trpcFetch(server, 'cohorts.delete', { headers: { origin: 'https://evil.example', cookie, 'content-type': 'application/json' }, input: { cohortId: cohortA.id } });
    expect(deleted.status).toBe(403);
    expect(await server.db.prisma.cohort.findMany({ where: { orgId: a.org.id }, orderBy: { id: 'asc' } })).toEqual(before);
    // A cross-site GET may be sent, but the answer carries no CORS header, so the page cannot read it.
    const read = await trpcFetch(server, 'cohorts.preview', { method: 'GET', headers: { origin: 'https://evil.example', cookie }, input: { filter: {} } });
    expect(read.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('previewing patients is audited; creating, editing and deleting are audited with the actor', async () => {
    const audit = await server.db.prisma.auditEvent.findMany({ where: { orgId: a.org.id, action: { startsWith: 'cohort.' } } });
    const actions = audit.map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['cohort.created', 'cohort.updated', 'cohort.deleted', 'cohort.previewed']));
    expect(audit.every((e) => e.actorId)).toBe(true);
  });
});
