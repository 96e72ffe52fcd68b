import { describe, expect, it } from 'vitest';
import { validate } from '../../../lib/form';
import { consentChanged, EMPTY_PATIENT, patientFormSchema, toPatientInput } from './patientInput';

describe('toPatientInput', () => {
  it('sends blanks as null (clearing the field), trims text, and splits tags on commas', () => {
    const input = toPatientInput({ ...EMPTY_PATIENT, phone: ' (555) 123-4567 ', firstName: 'Amina ', mrn: '  ', tags: 'diabetes, spanish-speaking,, diabetes' });
    expect(input).toMatchObject({ phone: '(555) 123-4567', firstName: 'Amina', mrn: null, email: null, dob: null, timeZone: null, tags: ['diabetes', 'spanish-speaking'] });
  });

  it('sends every consent switch, so unticking one withdraws it', () => {
    const input = toPatientInput({ ...EMPTY_PATIENT, smsTransactionalOptIn: true, consentSource: 'intake' });
    expect(input).toMatchObject({ smsTransactionalOptIn: true, smsMarketingOptIn: false, emailMarketingOptIn: false, optedOut: false, blocked: false, consentSource: 'intake' });
  });
});

describe('the patient form', () => {
  it('asks how consent was given only when an opt-in changes', () => {
    expect(consentChanged({ ...EMPTY_PATIENT, blocked: true }, EMPTY_PATIENT)).toBe(false);
    expect(consentChanged({ ...EMPTY_PATIENT, smsMarketingOptIn: true }, EMPTY_PATIENT)).toBe(true);
  });

  it('checks tags before sending them', () => {
    expect(validate(patientFormSchema, { tags: 'a'.repeat(41) }).errors).toEqual({ tags: 'Keep each tag under 40 characters' });
    expect(validate(patientFormSchema, { tags: 'vip, follow-up' }).ok).toBe(true);
  });
});
