import { describe, expect, it } from 'vitest';
import { phoneLogUrl } from './PhoneLogExport';

describe('phoneLogUrl', () => {
  it('asks for the date range, leaving out an open end', () => {
    expect(phoneLogUrl('n1', '2026-04-01', '2026-04-30')).toBe('/api/numbers/n1/phone-log.csv?from=2026-04-01&to=2026-04-30');
    expect(phoneLogUrl('n1', '', '2026-04-30')).toBe('/api/numbers/n1/phone-log.csv?to=2026-04-30');
    expect(phoneLogUrl('n1', '', '')).toBe('/api/numbers/n1/phone-log.csv');
    expect(phoneLogUrl(null, '2026-04-01', '')).toBe('/api/numbers/phone-log.csv?from=2026-04-01');
  });
});
