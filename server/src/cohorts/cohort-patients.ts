import { type CohortFilter, localParts, zonedTime } from '@caretext/shared';
import { Prisma } from '../generated/prisma/client.js';

/** What "today" and "a local date" mean for a cohort: the organization's time zone at the clock's now. */
export type CohortTime = { timeZone: string; now: Date };

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** `date` (YYYY-MM-DD) minus `years`, as YYYY-MM-DD text compared with Patient.dob. */
function yearsBefore(today: { year: number; month: number; day: number }, years: number): string {
  // Kept as text, not normalised: "2023-02-29" sorts between Feb 28 and Mar 1, which is exactly
  // where a Feb-29 birthday turns a year older in a non-leap year (on March 1).
  return `${pad(today.year - years, 4)}-${pad(today.month)}-${pad(today.day)}`;
}

/** The instant a local date (YYYY-MM-DD) begins in `timeZone`. */
function startOfLocalDay(date: string, timeZone: string): Date {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return zonedTime(y, m, d, 0, 0, timeZone);
}

const isLeapYear = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

function nextDay(date: string): string {
  const next = new Date(`${date}T00:00:00Z`);
  next.setUTCDate(next.getUTCDate() + 1);
  return next.toISOString().slice(0, 10);
}

const CONSENT_COLUMNS = {
  smsTransactionalOptIn: { column: 'smsTransactionalOptIn', flag: true },
  smsMarketingOptIn: { column: 'smsMarketingOptIn', flag: true },
  emailMarketingOptIn: { column: 'emailMarketingOptIn', flag: true },
  optedOut: { column: 'optedOutAt', flag: false },
  blocked: { column: 'blockedAt', flag: false },
  emailSuppressed: { column: 'emailSuppressedAt', flag: false },
  unsubscribed: { column: 'unsubscribedAt', flag: false },
} as const;

/**
 * The WHERE clause of a cohort over `"Patient" p`: always scoped to the org. Every value is a bound
 * parameter; column names come from the constants above, never from input. Each condition is
 * written so that PostgreSQL can use an index: dob compared as text against boundary dates
 * computed here (no age() per row), createdAt against instants, tags with the GIN operators.
 */
export function cohortWhere(orgId: string, f: CohortFilter, at: CohortTime): Prisma.Sql {
  const where: Prisma.Sql[] = [Prisma.sql`p."orgId" = ${orgId}`];
  if (f.locations.length) where.push(Prisma.sql`p."location" IN (${Prisma.join(f.locations)})`);
  if (f.providers.length) where.push(Prisma.sql`p."provider" IN (${Prisma.join(f.providers)})`);
  if (f.tags.length) {
    const tags = Prisma.sql`ARRAY[${Prisma.join(f.tags)}]::text[]`;
    where.push(f.tagMatch === 'all' ? Prisma.sql`p."tags" @> ${tags}` : Prisma.sql`p."tags" && ${tags}`);
  }
  const today = localParts(at.now, at.timeZone);
  // Age >= min: born on or before today minus min years. Age <= max: born after today minus (max + 1) years.
  if (f.ageMin != null) where.push(Prisma.sql`p."dob" <= ${yearsBefore(today, f.ageMin)}`);
  if (f.ageMax != null) where.push(Prisma.sql`p."dob" > ${yearsBefore(today, f.ageMax + 1)}`);
  if (f.birthdayMonths.length) where.push(Prisma.sql`substr(p."dob", 6, 2) IN (${Prisma.join(f.birthdayMonths.map((m) => pad(m)))})`);
  if (f.birthdayWhen === 'this_month' || f.birthdayWhen === 'next_month') {
    const month = f.birthdayWhen === 'this_month' ? today.month : (today.month % 12) + 1;
    where.push(Prisma.sql`substr(p."dob", 6, 2) = ${pad(month)}`);
  }
  if (f.birthdayWhen === 'today') {
    const days = [`${pad(today.month)}-${pad(today.day)}`];
    if (today.month === 3 && today.day === 1 && !isLeapYear(today.year)) days.push('02-29');
    where.push(Prisma.sql`substr(p."dob", 6, 5) IN (${Prisma.join(days)})`);
  }
  if (f.hasPhone != null) where.push(f.hasPhone ? Prisma.sql`coalesce(p."phone", '') <> ''` : Prisma.sql`coalesce(p."phone", '') = ''`);
  if (f.hasEmail != null) where.push(f.hasEmail ? Prisma.sql`coalesce(p."email", '') <> ''` : Prisma.sql`coalesce(p."email", '') = ''`);
  for (const [key, want] of Object.entries(f.consent) as [keyof typeof CONSENT_COLUMNS, boolean | undefined][]) {
    if (want == null) continue;
    const { column, flag } = CONSENT_COLUMNS[key];
    const col = Prisma.raw(`p."${column}"`);
    where.push(flag ? Prisma.sql`${col} = ${want}` : want ? Prisma.sql`${col} IS NOT NULL` : Prisma.sql`${col} IS NULL`);
  }
  if (f.addedVia === 'import') where.push(Prisma.sql`p."source" = 'import'`);
  if (f.addedVia === 'created') where.push(Prisma.sql`p."source" <> 'import'`);
  if (f.addedFrom) where.push(Prisma.sql`p."createdAt" >= ${startOfLocalDay(f.addedFrom, at.timeZone)}`);
  if (f.addedTo) where.push(Prisma.sql`p."createdAt" < ${startOfLocalDay(nextDay(f.addedTo), at.timeZone)}`);
  return Prisma.join(where, ' AND ');
}

/**
 * The patients of a cohort, as one set-based statement selecting `"patientId"`: count it, page
 * it, or (blasts) write recipient rows from it in one `INSERT ... SELECT`.
 */
export function cohortPatients(orgId: string, filter: CohortFilter, at: CohortTime): Prisma.Sql {
  return Prisma.sql`SELECT p."id" AS "patientId" FROM "Patient" p WHERE ${cohortWhere(orgId, filter, at)}`;
}
