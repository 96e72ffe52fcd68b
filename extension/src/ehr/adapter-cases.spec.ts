import { describe, expect, it } from 'vitest';
import cases from '../../../test/fixtures/ehr/adapter-cases.json';
import { fixturePage } from '../../test/fixtures';
import { adminDefinedAdapter } from './admin-defined';
import { normalizePatient } from './normalize';

// The same table is read by the adapter preview's test (web/src/pages/settings/ehr/testAdapter.spec.ts).
describe('admin-defined adapters on the EHR fixtures (as the adapter preview reads them)', () => {
  it.each(cases.cases)('$fixture', ({ fixture, url, selectors, expected }) => {
    const p = fixturePage(fixture, url);
    const read = adminDefinedAdapter({ id: 'case', name: fixture, urlPattern: '*://*/*', selectors }).read(p.document);
    const patient = normalizePatient(read!);
    const got = Object.fromEntries(Object.keys(expected).map((k) => [k, patient[k as keyof typeof patient]]));
    expect(got).toEqual(expected);
  });
});
