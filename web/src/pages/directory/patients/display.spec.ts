import { describe, expect, it } from 'vitest';
import { consentEventLabel, consentSourceLabel, displayPhone, statusBadges } from './display';

describe('displayPhone', () => {
  it('shows North American numbers the way staff write them, fictional 555 numbers included', () => {
    expect(displayPhone('+14155550142')).toBe('(415) 555-0142');
    expect(displayPhone('+15552345678')).toBe('(555) 234-5678');
  });

  it('keeps other countries international, so they can be dialled from a US clinic', () => {
    expect(displayPhone('+442079460958')).toBe('+44 20 7946 0958');
  });

  it('shows nothing for a patient without a phone', () => {
    expect(displayPhone(null)).toBe('');
  });
});

describe('statusBadges', () => {
  it('names every reason a text would not reach the patient', () => {
    expect(statusBadges({ optedOut: true, blocked: true, phoneLineType: 'landline' }).map((b) => b.label)).toEqual(['Opted out', 'Blocked', 'Landline']);
    expect(statusBadges({ optedOut: false, blocked: false, phoneLineType: 'mobile' })).toEqual([]);
  });
});

describe('consent history wording', () => {
  it('says what was given or withdrawn, and how', () => {
    expect(consentEventLabel('sms_transactional', true)).toBe('Agreed to SMS reminders and care updates');
    expect(consentEventLabel('sms_opt_out', false)).toBe('SMS opt-out lifted');
    expect(consentSourceLabel('intake')).toBe('on an intake form');
    expect(consentSourceLabel('keyword')).toBe('by text reply');
  });
});
