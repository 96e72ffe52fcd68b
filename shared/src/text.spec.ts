import { describe, expect, it } from 'vitest';
import { filterDateSchema } from './schemas.js';
import { cleanIdentifier, cleanName, dateRangeProblem, firstControlChar, hasControlChars, hasLoneSurrogate, neutralizeFormula, parseIsoDate, stripControlChars } from './text.js';

describe('neutralizeFormula', () => {
  it.each(['=1+1', '+1+1', '-1+1', '@SUM(A1)', '\t=1+1', '\r=1+1', '=HYPERLINK("http://evil.example","x")', '+cmd|\'/c calc\'!A0', '-2+3', '+'])('makes %j inert with a leading apostrophe', (cell) => {
    expect(neutralizeFormula(cell)).toBe(`'${cell}`);
  });

  it('leaves ordinary text and a complete E.164 phone number (a plain number to a spreadsheet) alone', () => {
    for (const cell of ['Amina', '', '1985-03-14', 'a=b', "O'Brien", '+14155552671', '+442079460958']) expect(neutralizeFormula(cell)).toBe(cell);
  });

  it('does not exempt text that only starts like a phone number', () => {
    for (const cell of ['+14155552671+1', '+1415555267a', '+0123456789', '+12']) expect(neutralizeFormula(cell)).toBe(`'${cell}`);
  });
});

describe('control characters', () => {
  it('finds NUL, other C0 controls, DEL and C1 controls, but not tab, LF or CR', () => {
    for (const c of ['\u0000', '\u0001', '\u0008', '\u000b', '\u000c', '\u001b', '\u001f', '\u007f', '\u0085', '\u009f']) expect(hasControlChars(`a${c}b`)).toBe(true);
    for (const text of ['a\tb', 'a\nb', 'a\r\nb', 'émoji 🙂', '\u00a0']) expect(hasControlChars(text)).toBe(false);
    expect(firstControlChar('ok\u0000')).toBe('U+0000');
    expect(firstControlChar('ok')).toBeNull();
    expect(stripControlChars('a\u0000b\u001bc\td')).toBe('abc\td');
  });
});

describe('unpaired surrogates', () => {
  it('finds a lone high or low surrogate, not a real pair', () => {
    expect(hasLoneSurrogate('a\ud800b')).toBe(true);
    expect(hasLoneSurrogate('a\udc00')).toBe(true);
    expect(hasLoneSurrogate('🙂 é')).toBe(false);
  });
});

describe('cleaning names and MRNs', () => {
  it('removes zero-width and bidi-override characters so an MRN cannot hide a second patient', () => {
    for (const c of ['\u200b', '\u200c', '\u200d', '\ufeff', '\u2060', '\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069', '\u200e', '\u200f']) {
      expect(cleanIdentifier(`MRN-0001${c}`)).toBe('MRN-0001');
      expect(cleanIdentifier(`${c}MRN-${c}0001`)).toBe('MRN-0001');
      expect(cleanName(`Am${c}ina `)).toBe('Amina');
    }
  });

  it('applies NFKC to MRNs (full-width digits) and NFC to names', () => {
    expect(cleanIdentifier('ＭＲＮ－０００１')).toBe('MRN-0001');
    expect(cleanName('Jose\u0301')).toBe('José');
    expect(cleanName('ﬁona')).toBe('ﬁona'); // compatibility folding could respell a name: not applied
  });
});

describe('dates', () => {
  it('parses only real calendar dates', () => {
    expect(parseIsoDate('2024-02-29')).toEqual({ year: 2024, month: 2, day: 29 });
    for (const text of ['2023-02-29', '2023-02-30', '2023-13-01', '2023-00-10', '2023-04-31', '2023-4-1', '20230401', '2023-04-01T00:00:00Z', '']) expect(parseIsoDate(text)).toBeNull();
  });

  it('refuses malformed or absurd export ranges with a message', () => {
    expect(dateRangeProblem(undefined, undefined)).toBeNull();
    expect(dateRangeProblem('2026-04-01', '2026-04-30')).toBeNull();
    expect(dateRangeProblem('2023-02-30', undefined)).toMatch(/not a real date/);
    expect(dateRangeProblem(undefined, '2023-13-01')).toMatch(/not a real date/);
    expect(dateRangeProblem('0001-01-01', undefined)).toMatch(/year between/);
    expect(dateRangeProblem(undefined, '9999-12-31')).toMatch(/year between/);
    expect(dateRangeProblem('2026-05-01', '2026-04-01')).toMatch(/start date is after/);
    expect(dateRangeProblem('yesterday', undefined)).toMatch(/not a real date/);
  });

  it('a filter date is a Date within sane years, never coerced text', () => {
    expect(filterDateSchema.safeParse(new Date('2026-04-22T00:00:00Z')).success).toBe(true);
    expect(filterDateSchema.safeParse('2023-02-30').success).toBe(false);
    expect(filterDateSchema.safeParse(new Date('invalid')).success).toBe(false);
    expect(filterDateSchema.safeParse(new Date('0001-01-01T00:00:00Z')).success).toBe(false);
    expect(filterDateSchema.safeParse(new Date('9999-01-01T00:00:00Z')).success).toBe(false);
  });
});
