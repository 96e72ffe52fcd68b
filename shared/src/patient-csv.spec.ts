import { describe, expect, it } from 'vitest';
import { parseDob } from './dob.js';
import { analyzeHeader, checkPatientRow, suggestColumn } from './patient-csv.js';

const TODAY = new Date('2026-11-23T12:00:00Z');

describe('header analysis', () => {
  it('recognizes the exact lowercase columns', () => {
    const h = analyzeHeader(['phone', 'mrn', 'first_name', 'last_name', 'dob', 'email']);
    expect(h.columns).toEqual({ phone: 0, mrn: 1, first_name: 2, last_name: 3, dob: 4, email: 5 });
    expect(h.unrecognized).toEqual([]);
    expect(h.errors).toEqual([]);
  });

  it('calls out a typo with a suggestion instead of silently ignoring it', () => {
    const h = analyzeHeader(['phone', 'First_Name', 'Emial', 'Insurance']);
    expect(h.columns.first_name).toBeUndefined();
    expect(h.unrecognized.map((u) => [u.header, u.suggestion])).toEqual([
      ['First_Name', 'first_name'],
      ['Emial', 'email'],
      ['Insurance', null],
    ]);
    expect(h.unrecognized[0]!.message).toContain('did you mean first_name?');
  });

  it('a file without a phone column cannot be imported, and says what was probably meant', () => {
    expect(analyzeHeader(['Phone Number', 'mrn']).errors).toEqual(['The file has no "phone" column (required). Did you mean to name "Phone Number" phone?']);
    expect(analyzeHeader(['mrn', 'first_name']).errors[0]).toContain('no "phone" column');
  });

  it('suggests columns for common spellings', () => {
    expect(suggestColumn('Date of Birth')).toBe('dob');
    expect(suggestColumn('Cell Phone')).toBe('phone');
    expect(suggestColumn('LastName')).toBe('last_name');
    expect(suggestColumn('zzz')).toBeNull();
  });
});

describe('date of birth', () => {
  it.each([
    ['1985-03-14', '1985-03-14'],
    ['03/14/1985', '1985-03-14'],
    ['3/4/1985', '1985-03-04'],
    ['2000-02-29', '2000-02-29'],
  ])('%s -> %s', (input, value) => {
    expect(parseDob(input, TODAY)).toEqual({ value });
  });

  it.each([
    ['1985-02-30', 'not a real date'],
    ['1900-02-29', 'not a real date'],
    ['13/01/1985', 'no month 13'],
    ['2030-01-01', 'in the future'],
    ['1850-01-01', 'before 1900'],
    ['14.03.1985', 'not a date'],
  ])('rejects %s', (input, message) => {
    const result = parseDob(input, TODAY);
    expect(result && 'error' in result ? result.error : '').toContain(message);
  });

  it('treats a blank cell as no date', () => {
    expect(parseDob('  ')).toBeNull();
  });
});

describe('the seed example rows', () => {
  // The product docs' own example: row 4 is missing its MRN (names shift left), row 5 has
  // an email where the first name goes, rows 2-3 carry an email in a column with no header.
  const header = analyzeHeader(['phone', 'mrn', 'first_name', 'last_name', 'dob']);
  const check = (row: string[]) => checkPatientRow(row, header, { today: TODAY });

  it('row 2: imported, with a warning about the email in the unnamed column', () => {
    const r = check(['(555) 123-4567', 'MRN-0001', 'Amina', 'Patel', '1985-03-14', 'amina@example.com']);
    expect(r.values).toMatchObject({ phone: '+15551234567', mrn: 'MRN-0001', firstName: 'Amina', lastName: 'Patel', dob: '1985-03-14', email: null });
    expect(r.issues).toEqual([
      { severity: 'warning', field: null, message: 'Column 6 has no header; it holds an email ("amina@example.com") that will not be imported. Add an "email" header to import it' },
    ]);
  });

  it('row 4: a name in the mrn column is rejected as a shifted row', () => {
    const r = check(['(555) 345-6789', 'John', 'Smith', '', '']);
    expect(r.values).toBeNull();
    expect(r.issues).toEqual([{ severity: 'error', field: 'mrn', message: 'mrn "John" looks like a name: is a column missing or shifted in this row?' }]);
  });

  it('row 5: an email in the first_name column is rejected', () => {
    const r = check(['(555) 456-7890', 'MRN-0004', 'cora@example.com']);
    expect(r.values).toBeNull();
    expect(r.issues[0]).toMatchObject({ field: 'first_name', message: expect.stringContaining('looks like an email') });
  });
});

describe('row validation', () => {
  const header = analyzeHeader(['phone', 'mrn', 'first_name', 'last_name', 'dob', 'email', 'tags']);
  const check = (row: string[]) => checkPatientRow(row, header, { today: TODAY });

  it('requires a valid phone', () => {
    expect(check(['', 'M1']).issues[0]!.message).toBe('Phone is empty (required)');
    expect(check(['12345', 'M1']).issues[0]!.message).toBe('"12345" is not a valid phone number');
  });

  it('rejects an invalid email and an impossible DOB', () => {
    const r = check(['4155552671', 'M1', 'Ann', 'Lee', '02/31/1990', 'ann@@example']);
    expect(r.values).toBeNull();
    expect(r.issues.map((i) => i.field)).toEqual(['dob', 'email']);
  });

  it('normalizes and splits what it keeps', () => {
    const r = check(['+1 415 555 2671', ' M-77 ', 'Ann', '', '7/4/1976', 'Ann@Example.COM', 'diabetes; spanish']);
    expect(r.values).toEqual({
      phone: '+14155552671', mrn: 'M-77', firstName: 'Ann', lastName: null, preferredName: null,
      dob: '1976-07-04', email: 'ann@example.com', tags: ['diabetes', 'spanish'], location: null, provider: null,
    });
    expect(r.issues).toEqual([]);
  });

  it('reports a row with NUL or another control character as a problem, without echoing the character', () => {
    for (const row of [['4155552671', 'M\u00001'], ['4155552671', 'M1', 'A\u001bnn'], ['4155552\u0000671']]) {
      const r = check(row);
      expect(r.values).toBeNull();
      expect(r.issues[0]!.message).toMatch(/control character \(U\+00(00|1B)\)/);
      expect(r.issues.every((i) => !/[\u0000-\u001f]/.test(i.message))).toBe(true);
    }
  });

  it('warns of values under no header, not of those under an unrecognized one (the header report says it once)', () => {
    const withExtra = analyzeHeader(['phone', 'Insurance', '', 'tags']);
    const r = checkPatientRow(['4155552671', 'Aetna', 'ann@example.com', ''], withExtra, { today: TODAY });
    expect(r.values?.tags).toEqual([]);
    expect(r.issues.map((i) => i.message)).toEqual(['Column 3 has no header; it holds an email ("ann@example.com") that will not be imported. Add an "email" header to import it']);
  });

  it('reports at most five cells with control characters, in column order, naming the column when it has one', () => {
    const r = check(['4155552671\u0001', 'M\u0002', 'A\u0003', 'B', 'C\u0004', 'D', 'E\u0005', 'F\u0006', 'G\u0007', 'H\u0008']);
    expect(r.values).toBeNull();
    expect(r.issues.map((i) => [i.field, i.message.slice(0, i.message.indexOf(' contains'))])).toEqual([
      ['phone', 'Column 1 (phone)'],
      ['mrn', 'Column 2 (mrn)'],
      ['first_name', 'Column 3 (first_name)'],
      ['dob', 'Column 5 (dob)'],
      ['tags', 'Column 7 (tags)'],
    ]);
  });

  it('strips zero-width and bidi characters from MRNs and names', () => {
    const r = check(['4155552671', 'MRN-0001\u200b', '\u202eAnn', 'L\u200dee']);
    expect(r.values).toMatchObject({ mrn: 'MRN-0001', firstName: 'Ann', lastName: 'Lee' });
    expect(check(['4155552671', 'ＭＲＮ－０００１']).values?.mrn).toBe('MRN-0001');
  });

  it('refuses a phone with an extension, saying why, instead of dropping the extension', () => {
    for (const phone of ['555-123-4567 ext. 12', '555-123-4567 x12']) {
      const r = check([phone, 'M1']);
      expect(r.values).toBeNull();
      expect(r.issues[0]).toMatchObject({ field: 'phone', message: expect.stringMatching(/extension/) });
    }
  });

  it('quotes at most 80 characters of a huge cell in a message', () => {
    const r = check(['4'.repeat(100_000), 'M1']);
    expect(r.issues[0]!.message.length).toBeLessThan(200);
  });
});
