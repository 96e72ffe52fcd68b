import type { CohortFilter } from '@caretext/shared';
import { type CohortTime, cohortWhere } from '../cohorts/cohort-patients.js';
import { Prisma } from '../generated/prisma/client.js';

/** Why a patient of the audience gets no message, in the order the checks apply (sms-eligibility.ts). */
export const SKIP_REASONS = ['no_phone', 'blocked', 'opted_out', 'landline', 'not_opted_in'] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

export type Audience = {
  orgId: string;
  /** The sending number: STOP is per number (SmsOptOut). */
  phoneNumberId: string;
  marketing: boolean;
  filters: CohortFilter[];
  at: CohortTime;
};

/**
 * Every patient of the union of the cohorts once, with the reason they are skipped (NULL: they
 * get the message). One set-based statement selecting `"patientId"`, `"skipReason"`: the
 * preview counts it, the send writes the recipient ledger from it, so both always agree.
 * A phone line of unknown type is sent to (the carrier says if it was a landline); only a
 * known landline is skipped.
 */
export function blastAudience(a: Audience): Prisma.Sql {
  // One pass over the org's patients with the cohorts' conditions OR-ed: each patient once
  // without a UNION to deduplicate nor a second lookup of the rows (half the time at 50,000).
  const anyCohort = Prisma.join(
    a.filters.map((f) => Prisma.sql`(${cohortWhere(a.orgId, f, a.at)})`),
    ' OR ',
  );
  return Prisma.sql`
    SELECT p."id" AS "patientId", ${skipReason(a)} AS "skipReason"
      FROM "Patient" p
     WHERE p."orgId" = ${a.orgId} AND (${anyCohort})`;
}

/**
 * The same statement for patients picked by hand (Add Recipients): the ids that are this org's
 * patients, each once, with the very skip rules of a cohort audience.
 */
export function patientsAudience(a: Omit<Audience, 'filters' | 'at'>, patientIds: string[]): Prisma.Sql {
  return withSkipReasons(a, Prisma.sql`SELECT DISTINCT unnest(${patientIds}::text[]) AS "patientId"`);
}

/** `source` selects "patientId" (any org's ids: the join keeps this org's only). */
export function withSkipReasons(a: Pick<Audience, 'orgId' | 'phoneNumberId' | 'marketing'>, source: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`
    SELECT p."id" AS "patientId", ${skipReason(a)} AS "skipReason"
      FROM (${source}) AS audience
      JOIN "Patient" p ON p."id" = audience."patientId" AND p."orgId" = ${a.orgId}`;
}

/** Why the patient `p` gets no message (NULL: they get it), checks in SKIP_REASONS order. */
function skipReason(a: Pick<Audience, 'phoneNumberId' | 'marketing'>): Prisma.Sql {
  return Prisma.sql`
           CASE
             WHEN coalesce(p."phone", '') = '' THEN 'no_phone'
             WHEN p."blockedAt" IS NOT NULL THEN 'blocked'
             WHEN p."optedOutAt" IS NOT NULL
               OR EXISTS (SELECT 1 FROM "SmsOptOut" so WHERE so."phoneNumberId" = ${a.phoneNumberId} AND so."phone" = p."phone") THEN 'opted_out'
             WHEN p."phoneLineType" = 'landline' THEN 'landline'
             WHEN ${a.marketing}::boolean AND NOT p."smsMarketingOptIn" THEN 'not_opted_in'
           END`;
}
