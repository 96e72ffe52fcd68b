import { describe, expect, it } from 'vitest';
import { fixturePage } from '../../test/fixtures';
import { adminDefinedAdapter, urlPatternRegex } from './admin-defined';
import { normalizePatient } from './normalize';
import { adaptersWith, BUILT_IN_ADAPTERS, readPatient } from './registry';

const acme = {
  id: 'ad_1',
  name: 'AcmeChart',
  urlPattern: 'http://127.0.0.1/custom/patient/*',
  selectors: { firstName: '.pt-given', lastName: '.pt-family', dob: '.pt-bd', phone: '.pt-tel', mrn: '.pt-chart', email: null, name: null },
};

describe('admin-defined adapters', () => {
  it('read the custom EHR fixture that no built-in adapter understands', () => {
    const p = fixturePage('custom-ehr.html', 'http://127.0.0.1:4555/custom/patient/42');
    expect(readPatient(p.url, p.document, BUILT_IN_ADAPTERS)).toBeNull();
    const reading = readPatient(p.url, p.document, adaptersWith([acme]));
    expect(reading).toEqual({
      adapterId: 'admin:ad_1',
      patient: { name: 'Dana Whitfield', firstName: 'Dana', lastName: 'Whitfield', dob: '1996-02-29', mrn: 'AC-778', phone: '415-555-0133', email: null },
    });
    expect(normalizePatient(reading!.patient).phone).toBe('+14155550133');
  });

  it('match URLs the way Chrome match patterns do', () => {
    const re = (p: string) => urlPatternRegex(p)!;
    expect(re('https://ehr.example.com/patients/*').test('https://ehr.example.com/patients/12?tab=1')).toBe(true);
    expect(re('https://ehr.example.com/patients/*').test('https://ehr.example.com/admin/12')).toBe(false);
    expect(re('*://*.clinic.org/*').test('http://east.clinic.org/chart')).toBe(true);
    expect(re('*://*.clinic.org/*').test('https://clinic.org/chart')).toBe(true);
    expect(re('*://*.clinic.org/*').test('https://evilclinic.org/chart')).toBe(false);
    expect(re('http://127.0.0.1/custom/*').test('http://127.0.0.1:4555/custom/x')).toBe(true);
    expect(urlPatternRegex('not a pattern')).toBeNull();
  });

  it('treat an invalid selector as a missing field, not an error', () => {
    const p = fixturePage('custom-ehr.html', 'http://127.0.0.1:4555/custom/patient/42');
    const broken = adminDefinedAdapter({ ...acme, selectors: { ...acme.selectors, phone: '##not[valid' } });
    expect(broken.read(p.document)).toMatchObject({ phone: null, mrn: 'AC-778' });
  });
});
