import { describe, expect, it } from 'vitest';
import { fixturePage } from '../../test/fixtures';
import { normalizePatient } from './normalize';
import { openEmrAdapter } from './openemr';
import { BUILT_IN_ADAPTERS, readPatient } from './registry';

const URL_ = 'http://127.0.0.1:8080/openemr/interface/patient_file/summary/demographics.php?set_pid=7';

describe('OpenEMR adapter on the patient dashboard fixture', () => {
  it('runs on the dashboard URL and reads the patient, not the emergency contact or the facility', () => {
    const page = fixturePage('openemr-dashboard.html', URL_);
    expect(openEmrAdapter.matches(page.url, page.document)).toBe(true);
    expect(openEmrAdapter.read(page.document)).toEqual({
      name: 'Phil Lopez',
      firstName: 'Phil',
      lastName: 'Lopez',
      dob: '1972-02-09',
      mrn: 'OE-1042',
      phone: '(415) 555-0142',
      email: 'phil.lopez@example.com',
    });
  });

  it('wins over the generic adapter, and its reading normalizes like the server (E.164, YYYY-MM-DD)', () => {
    const page = fixturePage('openemr-dashboard.html', URL_);
    const reading = readPatient(page.url, page.document, BUILT_IN_ADAPTERS);
    expect(reading?.adapterId).toBe('openemr');
    expect(normalizePatient(reading!.patient)).toMatchObject({ phone: '+14155550142', dob: '1972-02-09', mrn: 'OE-1042', firstName: 'Phil', lastName: 'Lopez' });
  });

  it('does not claim other pages', () => {
    const page = fixturePage('generic-clinic.html', 'http://127.0.0.1:8080/clinic/chart.html');
    expect(openEmrAdapter.matches(page.url, page.document)).toBe(false);
  });
});
