import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, orgWithStaff, startTestServer, type TestServer } from '../harness.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});

describe('approved EHR origins (where the extension may read pages and show the sidebar)', () => {
  it('admins approve and remove origins (normalized to match patterns, audited); members only read them; other orgs see none', async () => {
    const { owner, member } = await orgWithStaff(server, 'Origin Clinic');
    const added = await owner.api.ehrAdapters.addOrigin.mutate({ pattern: 'https://EHR.example.com:8443' });
    expect(added.pattern).toBe('https://ehr.example.com/*');
    await owner.api.ehrAdapters.addOrigin.mutate({ pattern: 'http://*.openemr.clinic.org/interface/*' });
    // The same origin twice is one row.
    await owner.api.ehrAdapters.addOrigin.mutate({ pattern: 'https://ehr.example.com/' });
    expect((await member.api.ehrAdapters.origins.query()).map((o) => o.pattern)).toEqual(['http://*.openemr.clinic.org/interface/*', 'https://ehr.example.com/*']);

    expect((await errorOf(member.api.ehrAdapters.addOrigin.mutate({ pattern: 'https://evil.example.com' }))).code).toBe('FORBIDDEN');
    expect((await errorOf(member.api.ehrAdapters.removeOrigin.mutate({ originId: added.id }))).code).toBe('FORBIDDEN');
    for (const everything of ['*://*/*', 'https://*/*', '<all_urls>', 'https://*.com/*', 'file:///etc/passwd', 'https://user@ehr.example.com/']) {
      expect((await errorOf(owner.api.ehrAdapters.addOrigin.mutate({ pattern: everything }))).code, everything).toBe('BAD_REQUEST');
    }

    const other = await orgWithStaff(server, 'Other Clinic');
    expect(await other.member.api.ehrAdapters.origins.query()).toEqual([]);
    expect((await errorOf(other.owner.api.ehrAdapters.removeOrigin.mutate({ originId: added.id }))).code).toBe('NOT_FOUND');

    await owner.api.ehrAdapters.removeOrigin.mutate({ originId: added.id });
    expect((await member.api.ehrAdapters.origins.query()).map((o) => o.pattern)).toEqual(['http://*.openemr.clinic.org/interface/*']);
    const audit = await owner.api.audit.list.query({ action: 'ehr_origin.changed' });
    expect(audit.events.map((e) => e.summary).sort()).toEqual([
      'Approved the EHR origin http://*.openemr.clinic.org/interface/*',
      'Approved the EHR origin https://ehr.example.com/*',
      'Removed the EHR origin https://ehr.example.com/*',
    ]);
  });
});
