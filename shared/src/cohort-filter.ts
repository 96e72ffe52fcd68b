import { z } from 'zod';

/**
 * A cohort's filters over patients. Every part is optional; an empty filter is every patient of
 * the organization. Parts combine with AND; a list inside one part (locations, providers, birthday
 * months, tags with `tagMatch: 'any'`) matches any of its values. Stored as JSON on the Cohort and
 * validated with this schema on the way in and on the way out (an old stored filter that no
 * longer parses is an error, never silently "everyone").
 */
const value = (max: number) => z.string().trim().min(1).max(max);
const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'Use YYYY-MM-DD')
  .refine((d) => {
    const date = new Date(`${d}T00:00:00Z`);
    return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === d;
  }, 'Not a real date');
const age = z.number().int().min(0).max(130);

/** Consent fields of a patient: true = must be set, false = must not be, absent = either. */
export const COHORT_CONSENT_FIELDS = [
  { key: 'smsTransactionalOptIn', label: 'SMS transactional opt-in' },
  { key: 'smsMarketingOptIn', label: 'SMS marketing opt-in' },
  { key: 'emailMarketingOptIn', label: 'Email marketing opt-in' },
  { key: 'optedOut', label: 'Opted out of SMS (STOP)' },
  { key: 'blocked', label: 'Blocked by the clinic' },
  { key: 'emailSuppressed', label: 'Email suppressed' },
  { key: 'unsubscribed', label: 'Unsubscribed from email' },
] as const;
export type CohortConsentKey = (typeof COHORT_CONSENT_FIELDS)[number]['key'];

export const cohortFilterSchema = z
  .object({
    locations: z.array(value(120)).max(50).default([]),
    providers: z.array(value(120)).max(50).default([]),
    tags: z.array(value(40)).max(30).default([]),
    /** any: a patient with at least one of the tags; all: with every one. */
    tagMatch: z.enum(['any', 'all']).default('any'),
    /** Inclusive, in whole years, on today's date in the organization's time zone. */
    ageMin: age.nullable().default(null),
    ageMax: age.nullable().default(null),
    /** 1 = January. */
    birthdayMonths: z.array(z.number().int().min(1).max(12)).max(12).default([]),
    /**
     * Relative to the day the cohort is used (a monthly birthday blast reuses one cohort), in the
     * organization's time zone. A February 29 birthday counts as March 1 in common years.
     */
    birthdayWhen: z.enum(['any', 'today', 'this_month', 'next_month']).default('any'),
    hasPhone: z.boolean().nullable().default(null),
    hasEmail: z.boolean().nullable().default(null),
    consent: z.object(Object.fromEntries(COHORT_CONSENT_FIELDS.map((f) => [f.key, z.boolean().optional()])) as Record<CohortConsentKey, z.ZodOptional<z.ZodBoolean>>)
      .strict()
      .default({}),
    /** How the patient record came to be: imported from a CSV, or added in CareText (staff, an inbound text, a new conversation). */
    addedVia: z.enum(['any', 'import', 'created']).default('any'),
    /** Inclusive local dates (organization's time zone) of when the record was created or imported. */
    addedFrom: isoDate.nullable().default(null),
    addedTo: isoDate.nullable().default(null),
  })
  .strict()
  .superRefine((f, ctx) => {
    if (f.ageMin != null && f.ageMax != null && f.ageMin > f.ageMax) ctx.addIssue({ code: 'custom', path: ['ageMax'], message: 'The highest age is below the lowest.' });
    if (f.addedFrom && f.addedTo && f.addedFrom > f.addedTo) ctx.addIssue({ code: 'custom', path: ['addedTo'], message: 'The end date is before the start date.' });
  });

export type CohortFilter = z.output<typeof cohortFilterSchema>;
export type CohortFilterInput = z.input<typeof cohortFilterSchema>;

export const cohortNameSchema = z.string().trim().min(1, 'Give the cohort a name.').max(80);

/** Every patient: the filter a new cohort starts from. */
export const emptyCohortFilter = (): CohortFilter => cohortFilterSchema.parse({});

/** A short description of a filter for lists ("Age 18–65 · Tags: diabetes"). */
export function describeCohortFilter(f: CohortFilter): string {
  const parts: string[] = [];
  if (f.locations.length) parts.push(`Location: ${f.locations.join(', ')}`);
  if (f.providers.length) parts.push(`Provider: ${f.providers.join(', ')}`);
  if (f.tags.length) parts.push(`Tags (${f.tagMatch}): ${f.tags.join(', ')}`);
  if (f.ageMin != null || f.ageMax != null) parts.push(f.ageMax == null ? `Age ${f.ageMin}+` : f.ageMin == null ? `Age up to ${f.ageMax}` : `Age ${f.ageMin}–${f.ageMax}`);
  if (f.birthdayMonths.length) parts.push(`Birthday in ${f.birthdayMonths.map((m) => MONTHS[m - 1]!.slice(0, 3)).join(', ')}`);
  if (f.birthdayWhen !== 'any') parts.push(BIRTHDAY_WHEN[f.birthdayWhen]);
  if (f.hasPhone != null) parts.push(f.hasPhone ? 'Has phone' : 'No phone');
  if (f.hasEmail != null) parts.push(f.hasEmail ? 'Has email' : 'No email');
  for (const c of COHORT_CONSENT_FIELDS) {
    const v = f.consent[c.key];
    if (v != null) parts.push(`${v ? '' : 'Not '}${c.label.charAt(0).toLowerCase() + c.label.slice(1)}`.replace(/^./, (x) => x.toUpperCase()));
  }
  if (f.addedVia !== 'any' || f.addedFrom || f.addedTo) {
    const how = f.addedVia === 'import' ? 'Imported' : f.addedVia === 'created' ? 'Created' : 'Added';
    parts.push(`${how}${f.addedFrom ? ` from ${f.addedFrom}` : ''}${f.addedTo ? ` to ${f.addedTo}` : ''}`);
  }
  return parts.length ? parts.join(' · ') : 'All patients';
}

export const BIRTHDAY_WHEN = { any: 'Any day', today: 'Birthday today', this_month: 'Birthday this month', next_month: 'Birthday next month' } as const;

export const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'] as const;
