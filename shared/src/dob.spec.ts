import { describe, expect, it } from 'vitest';
import { calendarDate, dateInText, looksLikeDate, parseDob } from './dob.js';

const TODAY = new Date('2026-06-01T12:00:00Z');

describe('parseDob (import, search, extension, adapter preview)', () => {
  it.each([
    ['1985-03-14', '1985-03-14'],
    ['03/14/1985', '1985-03-14'],
    ['3-14-1985', '1985-03-14'],
    ['Mar 14, 1985', '1985-03-14'],
    ['March 14 1985', '1985-03-14'],
    ['Sept. 2, 1985', '1985-09-02'],
    ['14 March 1985', '1985-03-14'],
    ['  Mar  14,  1985 ', '1985-03-14'],
  ])('%j -> %s', (input, value) => {
    expect(parseDob(input, TODAY)).toEqual({ value });
  });

  it.each([
    ['Feb 30, 1985', 'not a real date'],
    ['Marchy 14, 1985', 'no month'],
    ['DOB: 03/14/1985', 'not a date'],
    ['Mar 14, 2030', 'in the future'],
  ])('rejects %j', (input, message) => {
    const result = parseDob(input, TODAY);
    expect(result && 'error' in result ? result.error : '').toContain(message);
  });

  it('judges "in the future" against the today it is given, call after call', () => {
    expect(parseDob('2026-07-01', TODAY)).toEqual({ error: '"2026-07-01" is in the future' });
    expect(parseDob('2026-07-01', new Date('2026-08-01T00:00:00Z'))).toEqual({ value: '2026-07-01' });
    expect(parseDob('2026-07-01', TODAY)).toEqual({ error: '"2026-07-01" is in the future' });
  });
});

describe('calendarDate', () => {
  it("counts each month's days as Date.UTC does, leap years and its 0-99 -> 1900-1999 reading included", () => {
    for (const year of [0, 1, 4, 96, 99, 100, 400, 1600, 1900, 1996, 2000, 2023, 2024, 2100, 2400, 9999]) {
      for (let month = 1; month <= 12; month++) {
        const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
        for (const day of [28, 29, 30, 31]) expect(calendarDate({ year, month, day }) !== null, `${year}-${month}-${day}`).toBe(day <= days);
      }
    }
  });
});

describe('dateInText (what an EHR page shows around a birthday)', () => {
  it.each([
    ['DOB: Mar 14, 1985 (40 y)', '1985-03-14'],
    ['Born 03/14/1985 · Age 40', '1985-03-14'],
    ['1985-03-14T00:00:00', '1985-03-14'],
    ['14 Mar 1985', '1985-03-14'],
    ['DOB 02/30/1985', null],
    ['Age: 40', null],
  ])('%j -> %s', (text, value) => {
    expect(dateInText(text)).toBe(value);
  });

  it('agrees with parseDob on every whole date', () => {
    for (const text of ['1985-03-14', '03/14/1985', '3-14-1985', 'Mar 14, 1985', '14 March 1985']) {
      expect({ text, within: dateInText(text) }).toEqual({ text, within: (parseDob(text, TODAY) as { value: string }).value });
      expect(looksLikeDate(text)).toBe(true);
    }
  });
});
