import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, orgWithStaff, startTestServer, type TestServer } from './harness.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});

describe('matching the patient on an EHR page', () => {
  it('by MRN first, then phone (families narrowed by name and DOB), then name + DOB; audited', async () => {
    const { member, owner } = await orgWithStaff(server, 'Match Clinic');
    const amina = await member.api.patients.create.mutate({ mrn: 'MRN-1', firstName: 'Amina', lastName: 'Patel', phone: '4155550301', dob: '1985-03-14' });
    const kid = await member.api.patients.create.mutate({ firstName: 'Zara', lastName: 'Patel', phone: '4155550301', dob: '2015-06-01' });
    const jordan = await member.api.patients.create.mutate({ firstName: 'Jordan', lastName: 'Lee', dob: '1990-07-22' });

    expect(await member.api.patients.match.query({ mrn: 'mrn-1', phone: '4155559999' })).toMatchObject({ matchedBy: 'mrn', patient: { id: amina.id } });
    expect(await member.api.patients.match.query({ phone: '(415) 555-0301', firstName: 'Zara', dob: '06/01/2015' })).toMatchObject({ matchedBy: 'phone', patient: { id: kid.id } });
    // A family phone with nothing to tell them apart is no match, not a guess.
    expect(await member.api.patients.match.query({ phone: '415.555.0301' })).toEqual({ patient: null, matchedBy: null });
    expect(await member.api.patients.match.query({ firstName: 'jordan', lastName: 'LEE', dob: '1990-07-22' })).toMatchObject({ matchedBy: 'name_dob', patient: { id: jordan.id } });
    expect(await member.api.patients.match.query({ firstName: 'Nobody', lastName: 'Here', dob: '1990-07-22' })).toEqual({ patient: null, matchedBy: null });
    const audit = await owner.api.audit.list.query({ action: 'patient.viewed' });
    expect(audit.events.some((e) => e.summary.includes('EHR sidebar (matched by mrn)'))).toBe(true);
  });
});

describe('admin-defined EHR adapters', () => {
  it('admins save drafts and publish; members (the extension) see only published ones', async () => {
    const { owner, member } = await orgWithStaff(server, 'Adapter Clinic');
    const selectors = { name: '#pt-name', dob: '.dob', mrn: '[data-mrn]', phone: null, email: null, firstName: null, lastName: null };
    const draft = await owner.api.ehrAdapters.save.mutate({ name: 'Acme EHR', urlPattern: 'https://acme-ehr.example.com/chart/*', selectors, published: false });
    expect(await member.api.ehrAdapters.list.query()).toEqual([]);
    await owner.api.ehrAdapters.save.mutate({ adapterId: draft.id, name: 'Acme EHR', urlPattern: 'https://acme-ehr.example.com/chart/*', selectors, published: true });
    expect(await member.api.ehrAdapters.list.query()).toEqual([expect.objectContaining({ name: 'Acme EHR', selectors: expect.objectContaining({ name: '#pt-name' }), published: true })]);
    expect((await errorOf(member.api.ehrAdapters.save.mutate({ name: 'Rogue', urlPattern: 'https://x.example.com/*', selectors, published: true }))).code).toBe('FORBIDDEN');
    const bad = await errorOf(owner.api.ehrAdapters.save.mutate({ name: 'Bad', urlPattern: 'not a url', selectors, published: true }));
    expect(bad.message).toContain('https://ehr.example.com/patients/*');
  });
});

describe('a different MRN is not a match (issue 9, item 16)', () => {
  it('a phone or name + DOB hit whose MRN differs from the page’s comes back as differentMrn, never as the patient', async () => {
    const { member } = await orgWithStaff(server, 'MRN Clinic');
    const phil = await member.api.patients.create.mutate({ mrn: 'MRN-0002', firstName: 'Phil', lastName: 'Lopez', phone: '4155550302', dob: '1972-02-09' });
    // Same name + DOB, page MRN 00311002: another record in the EHR, not Phil's.
    const byNameDob = await member.api.patients.match.query({ mrn: '00311002', firstName: 'Phil', lastName: 'Lopez', dob: '1972-02-09' });
    expect(byNameDob).toMatchObject({ patient: null, matchedBy: null, differentMrn: { id: phil.id, mrn: 'MRN-0002' } });
    const byPhone = await member.api.patients.match.query({ mrn: '00311002', phone: '(415) 555-0302' });
    expect(byPhone).toMatchObject({ patient: null, matchedBy: null, differentMrn: { id: phil.id } });
    // No MRN on one side: still a match (nothing contradicts it); the same MRN in another case: a match.
    expect(await member.api.patients.match.query({ phone: '(415) 555-0302' })).toMatchObject({ matchedBy: 'phone', patient: { id: phil.id } });
    expect(await member.api.patients.match.query({ mrn: 'mrn-0002' })).toMatchObject({ matchedBy: 'mrn', patient: { id: phil.id } });
    const noMrn = await member.api.patients.create.mutate({ firstName: 'Rae', lastName: 'Kim', phone: '4155550303', dob: '1980-01-01' });
    expect(await member.api.patients.match.query({ mrn: 'E-77', phone: '4155550303' })).toMatchObject({ matchedBy: 'phone', patient: { id: noMrn.id } });
  });
});
