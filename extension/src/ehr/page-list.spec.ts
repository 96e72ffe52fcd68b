import { describe, expect, it } from 'vitest';
import { fixturePage } from '../../test/fixtures';
import { adminDefinedAdapter } from './admin-defined';
import { genericAdapter } from './generic';
import { normalizePatient } from './normalize';
import { openEmrAdapter } from './openemr';
import { adaptersWith, BUILT_IN_ADAPTERS, readPatient, readPatientList } from './registry';

const SCHEDULE = 'http://127.0.0.1:8080/clinic/schedule.html';
const FINDER = 'http://127.0.0.1:8080/openemr/interface/main/finder/dynamic_finder.php';

function page(html: string, url = 'http://clinic.test/list') {
  document.body.innerHTML = html;
  return { url: new URL(url), document };
}

describe('patients on this page: lists of patients (issue 13, launching from the EHR)', () => {
  it('the generic adapter reads the schedule fixture: eight rows by their headers, not the provider or the clinic banner', () => {
    const p = fixturePage('schedule.html', SCHEDULE);
    const list = readPatientList(p.url, p.document, BUILT_IN_ADAPTERS);
    expect(list?.adapterId).toBe('generic');
    expect(list!.rows).toHaveLength(8);
    expect(list!.rows[0]).toEqual({ name: 'Lopez, Phil', firstName: 'Phil', lastName: 'Lopez', dob: '1972-02-09', mrn: 'RC-1001', phone: '(415) 555-0201', email: null });
    expect(list!.rows.map((r) => r.mrn)).toEqual(['RC-1001', 'RC-1002', 'RC-1003', 'Q-404', 'RC-1005', 'RC-1006', 'RC-1007', 'RC-1008']);
    expect(normalizePatient(list!.rows[6]!)).toMatchObject({ firstName: 'Grace', lastName: 'Okafor', dob: '1971-07-04', phone: '+14155550207' });
    // A schedule is not one patient's chart.
    expect(readPatient(p.url, p.document, BUILT_IN_ADAPTERS)).toBeNull();
  });

  it('OpenEMR’s patient finder: External ID is the MRN, the mobile number wins over home', () => {
    const p = fixturePage('openemr-finder.html', FINDER);
    expect(openEmrAdapter.matches(p.url, p.document)).toBe(true);
    const list = readPatientList(p.url, p.document, BUILT_IN_ADAPTERS);
    expect(list?.adapterId).toBe('openemr');
    expect(list!.rows.map((r) => [r.name, r.dob, r.mrn, r.phone])).toEqual([
      ['Lopez, Phil', '1972-02-09', 'OE-1042', '(415) 555-0142'],
      ['Nakamura, Ken', '1959-10-21', 'OE-1043', '(415) 555-0902'],
      ['Adeyemi, Tolu', '2001-04-17', 'OE-1044', '(415) 555-0144'],
    ]);
    // The generic adapter alone does not know "External ID": it still reads names, DOBs and phones.
    expect(genericAdapter.readRows!(p.document)!.map((r) => r.mrn)).toEqual([null, null, null]);
  });

  it('an admin-defined adapter reads rows with its row selector and per-column selectors', () => {
    const p = fixturePage('schedule.html', SCHEDULE);
    const def = {
      id: 'ad_2',
      name: 'Schedule',
      urlPattern: 'http://127.0.0.1/clinic/*',
      selectors: {},
      rows: { row: '#day-schedule tbody tr', fields: { name: 'td:nth-child(2)', dob: 'td:nth-child(3)', mrn: 'td:nth-child(4)', phone: 'td:nth-child(5)' } },
    };
    const list = readPatientList(p.url, p.document, adaptersWith([def]));
    expect(list?.adapterId).toBe('admin:ad_2');
    expect(list!.rows).toHaveLength(8);
    expect(list!.rows[3]).toMatchObject({ firstName: 'Quinn', lastName: 'Nobody', dob: '1995-05-05', mrn: 'Q-404' });
    // An invalid row selector is "no list here" from that adapter (the generic one still reads the table).
    const broken = adminDefinedAdapter({ ...def, rows: { ...def.rows, row: 'tr[[' } });
    expect(broken.readRows!(p.document)).toBeNull();
    expect(adminDefinedAdapter({ ...def, rows: null }).readRows!(p.document)).toBeNull();
  });

  it.each([
    ['one row (that is the single patient, not a list)', '<table><thead><tr><th>Patient</th><th>DOB</th></tr></thead><tbody><tr><td>Jane Roe</td><td>1970-01-05</td></tr></tbody></table>'],
    ['a table whose headers name no patient fields', '<table><tr><th>Time</th><th>Room</th></tr><tr><td>9:00</td><td>2</td></tr><tr><td>9:30</td><td>3</td></tr></table>'],
    ['names without anything that identifies them', '<table><tr><th>Name</th><th>Visit</th></tr><tr><td>Jane Roe</td><td>Annual</td></tr><tr><td>Ben Roe</td><td>Flu</td></tr></table>'],
    ['an emergency-contacts table', '<section class="emergency-contacts"><table><tr><th>Name</th><th>Phone</th></tr><tr><td>Pat Roe</td><td>(212) 555-0100</td></tr><tr><td>Sam Roe</td><td>(212) 555-0101</td></tr></table></section>'],
  ])('reads no list from %s', (_, html) => {
    const p = page(html);
    expect(readPatientList(p.url, p.document, BUILT_IN_ADAPTERS)).toBeNull();
  });

  it('reads a header row of th cells without a thead, and skips rows that identify no one', () => {
    const p = page(
      '<table><tr><th>Chart #</th><th>Name</th><th>Cell</th></tr><tr><td>A-1</td><td>Jane Roe</td><td>212-555-0147</td></tr><tr><td></td><td>Walk-in</td><td></td></tr><tr><td>A-2</td><td>Ben Roe</td><td>n/a</td></tr></table>',
    );
    expect(readPatientList(p.url, p.document, BUILT_IN_ADAPTERS)!.rows.map((r) => [r.mrn, r.name, r.phone])).toEqual([
      ['A-1', 'Jane Roe', '212-555-0147'],
      ['A-2', 'Ben Roe', null],
    ]);
  });
});
