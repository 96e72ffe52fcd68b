import { describe, expect, it } from 'vitest';
import { parsePhoneNumberFromString as parseWithMin } from 'libphonenumber-js/min';
import { formatPhoneForDisplay, normalizePhone, parseFully, phoneExtension, phoneExtensionMessage } from './phone.js';

describe('normalizePhone', () => {
  it.each([
    '(415) 555-2671',
    '415.555.2671',
    '415-555-2671',
    '415 - 555 - 2671',
    '415/555/2671',
    '(415)5552671',
    '4155552671',
    '14155552671',
    '1 (415) 555-2671',
    '+1 415 555 2671',
    '+1 (415) 555-2671',
    '+14155552671',
    '  4155552671\t',
    'tel:+14155552671',
  ])('accepts %j', (input) => {
    expect(normalizePhone(input)).toBe('+14155552671');
  });

  it.each([
    '(415) 555-2671 ext. 12',
    '(415) 555-2671 extension 12',
    '415-555-2671 x12',
    '415-555-2671x12',
    '415-555-2671 #12',
    '+1 415 555 2671;ext=22',
    '415 555 2671 ext',
    '415 555 2671 x',
  ])('refuses (never silently drops) the extension in %j', (input) => {
    expect(normalizePhone(input)).toBeNull();
    expect(phoneExtension(input)).not.toBeNull();
    expect(phoneExtensionMessage(input)).toMatch(/extension/);
  });

  it('names the extension it refuses', () => {
    expect(phoneExtension('555-123-4567 ext. 12')).toBe('ext. 12');
    expect(phoneExtension('555-123-4567x12')).toBe('x12');
    expect(phoneExtension('+1 415 555 2671;ext=22')).toBe('ext=22');
    expect(phoneExtension('555-123-4567')).toBeNull();
  });

  it('accepts the fictional 555-01xx range (valid per libphonenumber, safe for demo data)', () => {
    expect(normalizePhone('(415) 555-0123')).toBe('+14155550123');
    expect(normalizePhone('(201) 555-0199')).toBe('+12015550199');
  });

  it('accepts fictional North American numbers such as (555) 123-4567 (the import format clinics use)', () => {
    for (const input of ['(555) 123-4567', '555.123.4567', '+1 555 123 4567', '5551234567']) {
      expect(normalizePhone(input)).toBe('+15551234567');
    }
    expect(normalizePhone('(415) 123-4567')).toBe('+14151234567');
  });

  it.each([
    '',
    '   ',
    '12345',
    '415555267', // 9 digits
    '41555526711', // 11 digits without the leading 1
    '(015) 555-2671', // area code cannot start with 0
    '(115) 555-2671', // nor with 1
    '1-800-FLOWERS',
    'call 415 555 2671 now',
    '415 555 2671 abc',
    'abc',
    'n/a',
    '+0 415 555 2671',
    '4'.repeat(80),
  ])('rejects %j', (input) => {
    expect(normalizePhone(input)).toBeNull();
  });

  it('parses national formats with the given default country', () => {
    expect(normalizePhone('020 7946 0958', 'GB')).toBe('+442079460958');
    expect(normalizePhone('020 7946 0958', 'gb')).toBe('+442079460958');
    expect(normalizePhone('030 123456', 'DE')).toBe('+4930123456');
    // The same digits are not a US number.
    expect(normalizePhone('020 7946 0958')).toBeNull();
  });

  it('takes international input regardless of the default country, including the US 011 prefix', () => {
    expect(normalizePhone('+44 20 7946 0958')).toBe('+442079460958');
    expect(normalizePhone('011 44 20 7946 0958')).toBe('+442079460958');
    expect(normalizePhone('+1 416 555 2671', 'GB')).toBe('+14165552671');
  });

  it('with an unknown default country only international input parses', () => {
    expect(normalizePhone('4155552671', 'ZZ')).toBeNull();
    expect(normalizePhone('+1 415 555 2671', 'ZZ')).toBe('+14155552671');
  });

  it('uses max metadata outside North America: rejects numbers the min metadata would call valid', () => {
    // UK drama range 07700 900xxx is reserved for fiction.
    expect(normalizePhone('+44 7700 900123')).toBeNull();
    // North America is deliberately lenient (see phone.ts): unassigned exchanges pass.
    expect(parseWithMin('+1 242 555 2671')?.isValid()).toBe(true);
    expect(normalizePhone('+1 242 555 2671')).toBe('+12425552671');
  });
});

describe('formatPhoneForDisplay', () => {
  it('formats North American numbers nationally, fictional 555 ones included', () => {
    expect(formatPhoneForDisplay('+14155552671')).toBe('(415) 555-2671');
    expect(formatPhoneForDisplay('+18005550199')).toBe('(800) 555-0199');
    expect(formatPhoneForDisplay('+15552345678')).toBe('(555) 234-5678');
    expect(formatPhoneForDisplay('+14165552671')).toBe('(416) 555-2671');
  });

  it('formats other countries internationally', () => {
    expect(formatPhoneForDisplay('+442079460958')).toBe('+44 20 7946 0958');
  });

  it('returns unparseable input unchanged', () => {
    expect(formatPhoneForDisplay('')).toBe('');
    expect(formatPhoneForDisplay('not a phone')).toBe('not a phone');
  });

  it('round-trips with normalizePhone', () => {
    expect(normalizePhone(formatPhoneForDisplay('+14155552671'))).toBe('+14155552671');
    expect(normalizePhone(formatPhoneForDisplay('+442079460958'))).toBe('+442079460958');
  });
});

describe('the North American fast path', () => {
  it('agrees with the full parser on every format and default country', () => {
    const formats = (d: string) => [d, `(${d.slice(0, 3)}) ${d.slice(3, 6)}-${d.slice(6)}`, `${d.slice(0, 3)}.${d.slice(3, 6)}.${d.slice(6)}`, `+1 ${d}`, `1${d}`, `+1-${d.slice(0, 3)}-${d.slice(3)}`];
    const samples = ['4155552671', '5551234567', '2125550199', '9995550000', '2015550123', '8005550199'];
    for (const country of ['US', 'CA', 'GB', 'DE']) {
      for (const digits of samples) {
        for (const input of formats(digits)) {
          const fast = normalizePhone(input, country);
          const slow = parseFully(input, country);
          expect(fast, `${input} (${country})`).toBe(slow);
        }
      }
    }
  });
});
