import { describe, expect, it } from 'vitest';
import { fixturePage } from '../../test/fixtures';
import { genericAdapter } from './generic';
import { normalizePatient } from './normalize';
import { BUILT_IN_ADAPTERS, readPatient } from './registry';

function page(html: string, url = 'http://clinic.test/chart') {
  document.body.innerHTML = html;
  return { url: new URL(url), document };
}

describe('generic labelled-fields adapter', () => {
  it('reads the clinic fixture: inline banner, definition list, label/value table, aria-label, data-*; skips emergency contact and footer', () => {
    const p = fixturePage('generic-clinic.html', 'http://127.0.0.1:8080/clinic/chart.html');
    const reading = readPatient(p.url, p.document, BUILT_IN_ADAPTERS);
    expect(reading).toEqual({
      adapterId: 'generic',
      patient: { name: 'Maria Garcia', firstName: 'Maria', lastName: 'Garcia', dob: '1985-03-14', mrn: 'RC-55821', phone: '415.555.0177', email: 'maria.garcia@example.org' },
    });
    expect(normalizePatient(reading!.patient)).toMatchObject({ phone: '+14155550177', dob: '1985-03-14' });
  });

  it('follows the single-page EHR fixture to whichever patient its URL shows', () => {
    const p = fixturePage('spa.html', 'http://127.0.0.1:8080/spa/patients/2');
    expect(genericAdapter.read(p.document)).toMatchObject({ name: 'Ben Okafor', dob: '1968-11-02', mrn: 'SPA-002', phone: '(415) 555-0122' });
  });

  it('keeps an HTML payload in the name as the text the page shows', () => {
    const p = fixturePage('xss.html', 'http://127.0.0.1:8080/clinic/xss.html');
    const patient = genericAdapter.read(p.document)!;
    expect(patient.name).toBe('<img src=x onerror="window.__caretextXss=1">Mallory <b>Bold</b>');
    expect(patient).toMatchObject({ dob: '1990-07-04', mrn: 'XSS-1' });
  });

  it.each([
    ['a definition list', '<dl><dt>Patient name</dt><dd>Jane Roe</dd><dt>Date of Birth</dt><dd>Jan 5, 1970</dd></dl>', { name: 'Jane Roe', dob: '1970-01-05' }],
    ['a table of th/td', '<table><tr><th>Name:</th><td>Roe, Jane Q.</td></tr><tr><th>MRN</th><td>#A-77</td></tr></table>', { firstName: 'Jane', lastName: 'Roe', mrn: 'A-77' }],
    ['a header row over one patient row', '<table><thead><tr><th>Patient</th><th>DOB</th><th>Phone</th></tr></thead><tbody><tr><td>Jane Roe</td><td>1970-01-05</td><td>(212) 555-0147</td></tr></tbody></table>', { name: 'Jane Roe', dob: '1970-01-05', phone: '(212) 555-0147' }],
    ['aria-label', '<span aria-label="Patient name">Jane Roe</span><span aria-label="Medical Record Number">MR9</span>', { name: 'Jane Roe', mrn: 'MR9' }],
    ['data-* attributes', '<div data-patient-name="Jane Roe" data-dob="5 January 1970"></div><span data-field="mrn">Q-1</span>', { name: 'Jane Roe', dob: '1970-01-05', mrn: 'Q-1' }],
    ['<label for>', '<label for="a">First name</label><input id="a" value="Jane"><label for="b">Last name</label><input id="b" value="Roe"><label for="c">DOB</label><input id="c" value="01/05/1970">', { name: 'Jane Roe', dob: '1970-01-05' }],
    ['inline text with bold labels', '<p><b>Patient:</b> Jane Roe <b>DOB:</b> 1970-01-05 (55 y) <b>Medical Record #:</b> 4411</p>', { name: 'Jane Roe', dob: '1970-01-05', mrn: '4411' }],
    ['label and value divs', '<div class="row"><div class="lbl">Cell phone</div><div>+1 212 555 0147 (cell)</div></div><div><span>Name</span><span>Jane Roe</span></div>', { name: 'Jane Roe', phone: '+1 212 555 0147' }],
  ])('reads %s', (_, html, expected) => {
    expect(genericAdapter.read(page(html).document)).toMatchObject(expected);
  });

  it('prefers the mobile number over home, and the patient over other people', () => {
    const p = page(`
      <section class="guarantor"><dl><dt>Name</dt><dd>Pat Guarantor</dd><dt>Phone</dt><dd>(212) 555-0100</dd></dl></section>
      <dl><dt>Home phone</dt><dd>(212) 555-0101</dd><dt>Name</dt><dd>Jane Roe</dd><dt>Mobile</dt><dd>(212) 555-0102</dd></dl>`);
    expect(genericAdapter.read(p.document)).toMatchObject({ name: 'Jane Roe', phone: '(212) 555-0102' });
  });

  it('finds no patient on pages that are not charts', () => {
    expect(genericAdapter.read(page('<h1>Welcome</h1><p>Call us. Phone: (212) 555-0100</p><footer>Name: Riverside</footer>').document)).toBeNull();
    expect(genericAdapter.read(page('<nav><a>Name</a><a>Phone</a><a>Email</a></nav>').document)).toBeNull();
    // A date that is not a date of birth is not read as one.
    expect(genericAdapter.read(page('<dl><dt>Name</dt><dd>Jane Roe</dd><dt>DOB</dt><dd>pending</dd></dl>').document)).toBeNull();
  });
});
