import { z } from 'zod';
import type { RouterInputs, RouterOutputs } from '../../../lib/trpc';
import { displayPhone } from './display';

export type PatientRecord = RouterOutputs['patients']['get'];
export type PatientInput = RouterInputs['patients']['create'];
type LineType = NonNullable<PatientInput['phoneLineType']>;

/** What the create/edit form holds: text as typed, switches as booleans. */
export type PatientFormValues = {
  phone: string;
  phoneLineType: LineType;
  email: string;
  firstName: string;
  lastName: string;
  preferredName: string;
  dob: string;
  mrn: string;
  location: string;
  provider: string;
  /** '' means the organization's time zone. */
  timeZone: string;
  /** Comma-separated, as typed. */
  tags: string;
  smsTransactionalOptIn: boolean;
  smsMarketingOptIn: boolean;
  emailMarketingOptIn: boolean;
  optedOut: boolean;
  blocked: boolean;
  emailSuppressed: boolean;
  unsubscribed: boolean;
  consentSource: 'intake' | 'staff';
};

/** Text inputs whose server messages appear beside them. */
export const PATIENT_FIELDS = ['phone', 'email', 'firstName', 'lastName', 'preferredName', 'dob', 'mrn', 'location', 'provider', 'timeZone', 'tags'] as const;

export const EMPTY_PATIENT: PatientFormValues = {
  phone: '',
  phoneLineType: 'unknown',
  email: '',
  firstName: '',
  lastName: '',
  preferredName: '',
  dob: '',
  mrn: '',
  location: '',
  provider: '',
  timeZone: '',
  tags: '',
  smsTransactionalOptIn: false,
  smsMarketingOptIn: false,
  emailMarketingOptIn: false,
  optedOut: false,
  blocked: false,
  emailSuppressed: false,
  unsubscribed: false,
  consentSource: 'staff',
};

export function valuesFromPatient(p: PatientRecord): PatientFormValues {
  return {
    // Shown the way staff type it; the server stores it as E.164 again.
    phone: displayPhone(p.phone),
    phoneLineType: (p.phoneLineType as LineType) ?? 'unknown',
    email: p.email ?? '',
    firstName: p.firstName ?? '',
    lastName: p.lastName ?? '',
    preferredName: p.preferredName ?? '',
    dob: p.dob ?? '',
    mrn: p.mrn ?? '',
    location: p.location ?? '',
    provider: p.provider ?? '',
    timeZone: p.timeZone ?? '',
    tags: p.tags.join(', '),
    smsTransactionalOptIn: p.smsTransactionalOptIn,
    smsMarketingOptIn: p.smsMarketingOptIn,
    emailMarketingOptIn: p.emailMarketingOptIn,
    optedOut: p.optedOutAt !== null,
    blocked: p.blockedAt !== null,
    emailSuppressed: p.emailSuppressedAt !== null,
    unsubscribed: p.unsubscribedAt !== null,
    consentSource: 'staff',
  };
}

/** The whole record as the server takes it: blank text clears a field (null), every switch is sent. */
export function toPatientInput(v: PatientFormValues): PatientInput {
  const text = (value: string) => value.trim() || null;
  return {
    phone: text(v.phone),
    phoneLineType: v.phoneLineType,
    email: text(v.email),
    firstName: text(v.firstName),
    lastName: text(v.lastName),
    preferredName: text(v.preferredName),
    dob: text(v.dob),
    mrn: text(v.mrn),
    location: text(v.location),
    provider: text(v.provider),
    timeZone: v.timeZone || null,
    tags: splitTags(v.tags),
    smsTransactionalOptIn: v.smsTransactionalOptIn,
    smsMarketingOptIn: v.smsMarketingOptIn,
    emailMarketingOptIn: v.emailMarketingOptIn,
    optedOut: v.optedOut,
    blocked: v.blocked,
    emailSuppressed: v.emailSuppressed,
    unsubscribed: v.unsubscribed,
    consentSource: v.consentSource,
  };
}

/** What the form checks before asking the server (which checks phone, email and DOB itself). */
export const patientFormSchema = z.object({
  tags: z
    .string()
    .refine((t) => splitTags(t).length <= 30, 'Use at most 30 tags')
    .refine((t) => splitTags(t).every((tag) => tag.length <= 40), 'Keep each tag under 40 characters'),
});

function splitTags(text: string): string[] {
  return [...new Set(text.split(',').map((t) => t.trim()).filter(Boolean))];
}

/** An opt-in differs from what is stored: staff should say how the patient gave (or withdrew) it. */
export function consentChanged(v: PatientFormValues, before: PatientFormValues): boolean {
  return v.smsTransactionalOptIn !== before.smsTransactionalOptIn || v.smsMarketingOptIn !== before.smsMarketingOptIn || v.emailMarketingOptIn !== before.emailMarketingOptIn;
}
