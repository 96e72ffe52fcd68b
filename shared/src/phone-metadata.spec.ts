// Which libphonenumber metadata each phone function may use, decided by comparing answers:
// - formatPhoneForDisplay runs on `min` (phone-format.ts): formatting reads the formats, which
//   `min` carries in full, so the output equals `max`'s for every input below;
// - normalizePhone stays on `max` (phone.ts): on the import, sidebar and EHR fixture numbers the
//   two give the same E.164, but outside North America `min` calls valid numbers that no carrier
//   can reach (it checks lengths and leading digits only), so the server's import validation
//   and the screens that pre-check a typed number keep `max`; the web app loads it with those
//   screens only (issue 10, "Web app size").
import { describe, expect, it } from 'vitest';
import { parsePhoneNumberFromString } from 'libphonenumber-js/core';
import maxMetadata from 'libphonenumber-js/max/metadata';
import minMetadata from 'libphonenumber-js/min/metadata';
import { formatPhoneForDisplay } from './phone-format.js';
import { formatPhoneForDisplayMax, normalizePhone } from './phone.js';

/** Numbers as the fixtures write them: test/fixtures/ehr/*.html (sidebar), patient-csv.spec.ts and the import bench's formats, phone.spec.ts. */
const FIXTURE_INPUTS = [
  // EHR fixture pages (OpenEMR dashboard and tabs, generic clinic, custom EHR, SPA)
  '(415) 555-0100', '(415) 555-0101', '(415) 555-0121', '(415) 555-0122', '(415) 555-0123', '(415) 555-0142',
  '(415) 555-0166', '(415) 555-0188', '(415) 555-0199', '(415) 555-2671', '415-555-0133', '415.555.0177',
  '(555) 123-4567 (cell)', '+1 (415) 555-0142',
  // import rows (patient-csv.spec.ts, test/bench/import/generate.mjs formats)
  '(555) 123-4567', '(555) 345-6789', '(555) 456-7890', '+1 415 555 2671', '+14155552671', '+15551234567', '4155552671',
  '415.555.0123', '+1 415 555 0123', '12345', '555-123-4567 ext. 12', '555-123-4567 x12', '4155552\u0000671', '',
  // phone.spec.ts
  '1 (415) 555-2671', 'tel:+14155552671', '(415)5552671', '14155552671', '415/555/2671', '(415) 123-4567', '(201) 555-0199',
  '+44 20 7946 0958', '011 44 20 7946 0958', '+1 416 555 2671', '+44 7700 900123', '+1 242 555 2671', '+49 30 123456',
  '1-800-FLOWERS', 'call 415 555 2671', '+33 1 23 45 67 89', '+52 55 1234 5678', '+61 2 9999 9999', '+91 98765 43210',
];
/** Default countries: the clinics' (North America) and none; GB and DE show where min is lenient. */
const NANP_COUNTRIES = ['US', 'CA', 'ZZ'];
const OTHER_COUNTRIES = ['GB', 'DE'];

/** Deterministic pseudo-random national numbers of 6-12 digits after every country calling code. */
function everyCallingCode(perCode: number): string[] {
  let seed = 42;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const numbers: string[] = [];
  for (const code of Object.keys(maxMetadata.country_calling_codes)) {
    for (let k = 0; k < perCode; k++) {
      let digits = '';
      for (let i = 0, len = 6 + Math.floor(next() * 7); i < len; i++) digits += Math.floor(next() * 10);
      numbers.push(`+${code}${digits}`);
    }
  }
  return numbers;
}
const GENERATED = everyCallingCode(60);

const formatWithMax = (e164: string) => {
  const nanp = /^\+1([2-9]\d{2})(\d{3})(\d{4})$/.exec(e164);
  if (nanp) return `(${nanp[1]}) ${nanp[2]}-${nanp[3]}`;
  return parsePhoneNumberFromString(e164, maxMetadata)?.formatInternational() ?? e164;
};

describe('phone metadata: min where it gives the same answers, max where it does not', () => {
  it('normalizePhone gives the same E.164 with min and max on every fixture number (North American clinics)', () => {
    for (const country of NANP_COUNTRIES) {
      for (const input of FIXTURE_INPUTS) {
        expect(normalizePhone(input, country, minMetadata), `${input} (${country})`).toBe(normalizePhone(input, country, maxMetadata));
      }
    }
  });

  it('formatPhoneForDisplay (min) shows every number exactly as max formats it', () => {
    const e164s = [...FIXTURE_INPUTS.map((i) => normalizePhone(i)).filter((n): n is string => n !== null), ...GENERATED, '+442079460958', 'not a phone', ''];
    for (const e164 of e164s) {
      expect(formatPhoneForDisplay(e164), e164).toBe(formatWithMax(e164));
      expect(formatPhoneForDisplayMax(e164), e164).toBe(formatWithMax(e164));
    }
  });

  it('normalizePhone keeps max: outside North America min accepts numbers max refuses (never the reverse, never another E.164)', () => {
    const differences: string[] = [];
    const cases = [...GENERATED.map((input) => [input, 'US']), ...OTHER_COUNTRIES.flatMap((c) => FIXTURE_INPUTS.map((input) => [input, c]))];
    for (const [input, country] of cases) {
      const withMin = normalizePhone(input, country, minMetadata);
      const withMax = normalizePhone(input, country, maxMetadata);
      if (withMin === withMax) continue;
      // The only difference: min says valid, max says no such number ("12345" in Germany).
      expect(withMax, `${input} (${country})`).toBeNull();
      expect(withMin, `${input} (${country})`).not.toBeNull();
      expect(withMin!.startsWith('+1'), input).toBe(false); // North America: identical (lenient on purpose, see phone.ts)
      differences.push(input);
    }
    expect(differences.length).toBeGreaterThan(100); // why the server, import and the number checks keep max
    expect(normalizePhone('+74514352293', 'US', minMetadata)).toBe('+74514352293');
    expect(normalizePhone('+74514352293')).toBeNull();
    expect(normalizePhone('12345', 'DE', minMetadata)).toBe('+4912345');
    expect(normalizePhone('12345', 'DE')).toBeNull();
  });
});
