import { describe, expect, it } from 'vitest';
import { cohortFilterSchema, describeCohortFilter, emptyCohortFilter } from './cohort-filter.js';

describe('cohortFilterSchema', () => {
  it('fills every part with "no filter" and describes it as all patients', () => {
    expect(emptyCohortFilter()).toEqual({ locations: [], providers: [], tags: [], tagMatch: 'any', ageMin: null, ageMax: null, birthdayMonths: [], birthdayWhen: 'any', hasPhone: null, hasEmail: null, consent: {}, addedVia: 'any', addedFrom: null, addedTo: null });
    expect(describeCohortFilter(emptyCohortFilter())).toBe('All patients');
  });

  it('refuses unknown keys, impossible dates, reversed ranges and out-of-range months', () => {
    expect(cohortFilterSchema.safeParse({ orgId: 'x' }).success).toBe(false);
    expect(cohortFilterSchema.safeParse({ consent: { everything: true } }).success).toBe(false);
    expect(cohortFilterSchema.safeParse({ addedFrom: '2026-02-29' }).success).toBe(false);
    expect(cohortFilterSchema.safeParse({ addedFrom: '2026-05-02', addedTo: '2026-05-01' }).success).toBe(false);
    expect(cohortFilterSchema.safeParse({ ageMin: 70, ageMax: 18 }).success).toBe(false);
    expect(cohortFilterSchema.safeParse({ birthdayMonths: [13] }).success).toBe(false);
    expect(cohortFilterSchema.safeParse({ tags: ['  '] }).success).toBe(false);
  });

  it('describes a filter in the product’s words', () => {
    const f = cohortFilterSchema.parse({ locations: ['Downtown'], tags: ['diabetes', 'spanish'], tagMatch: 'all', ageMin: 18, ageMax: 65, birthdayMonths: [1, 12], hasPhone: true, consent: { smsMarketingOptIn: true, optedOut: false }, addedVia: 'import', addedFrom: '2026-01-01' });
    expect(describeCohortFilter(f)).toBe('Location: Downtown · Tags (all): diabetes, spanish · Age 18–65 · Birthday in Jan, Dec · Has phone · SMS marketing opt-in · Not opted out of SMS (STOP) · Imported from 2026-01-01');
  });
});
