import { localParts, neutralizeFormula, zonedTime } from '@caretext/shared';
import Papa from 'papaparse';
import type { Actor } from '../access/access.service.js';
import type { Database } from '../db/database.js';

export const PHONE_LOG_COLUMNS = ['Sent', 'From', 'To', 'First', 'Last', 'Dob', 'Email', 'Status', 'ErrorCode', 'ErrorMessage'] as const;

/** "2026-04-22 09:14:02 PDT" in the organization's time zone. */
export function formatSent(instant: Date, timeZone: string): string {
  const p = localParts(instant, timeZone);
  const zone = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'short' }).formatToParts(instant).find((x) => x.type === 'timeZoneName')?.value ?? timeZone;
  const two = (n: number) => String(n).padStart(2, '0');
  return `${p.year}-${two(p.month)}-${two(p.day)} ${two(p.hour)}:${two(p.minute)}:${two(p.second)} ${zone}`;
}

/**
 * Blast recipients refused before the carrier, as the export's Error rows say it (the carrier's
 * landline error reads the same). Not opted in to marketing is a choice, not an error: not listed.
 */
export const REFUSED_BEFORE_CARRIER: Readonly<Record<string, string>> = Object.freeze({
  opted_out: 'Opted out of SMS — not sent',
  landline: 'Landline — cannot receive SMS',
  blocked: 'Blocked by the clinic — not sent',
  no_phone: 'No phone number — not sent',
});

type Row = { id: string; createdAt: Date; sentAt: Date | null; skipReason: string | null; fromNumber: string; toNumber: string; status: string; errorCode: string | null; errorMessage: string | null; firstName: string | null; lastName: string | null; dob: string | null; email: string | null };

/**
 * The phone log of some numbers (each row of a number is one owner's: the conversations tie
 * messages to it): every outbound message with a final outcome (Delivered or
 * Error) in the date range, and every blast recipient of the numbers refused before the carrier
 * (REFUSED_BEFORE_CARRIER, an Error row at the blast's start; a blast canceled before it started
 * refused nobody), streamed page by page so a year of logs never sits in memory.
 */
export async function* phoneLogCsv(db: Database, actor: Actor, numbers: { id: string; e164: string }[], range: { from?: string; to?: string }, timeZone: string, now: Date = new Date()): AsyncGenerator<string> {
  const day = (iso: string, addDays = 0) => {
    const [y, m, d] = iso.split('-').map(Number);
    const date = new Date(Date.UTC(y!, m! - 1, d! + addDays));
    return zonedTime(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate(), 0, 0, timeZone);
  };
  const from = range.from ? day(range.from) : new Date(0);
  const to = range.to ? day(range.to, 1) : new Date('9999-01-01');
  yield '\ufeff' + Papa.unparse([PHONE_LOG_COLUMNS.map(neutralizeFormula)]) + '\r\n';
  let cursor: { at: Date; id: string } = { at: new Date(0), id: '' };
  for (;;) {
    const rows = await db.sql.query<Row>(
      `SELECT * FROM (
         SELECT m.id, m."createdAt", m."sentAt", NULL::text AS "skipReason", m."fromNumber", m."toNumber", m.status, m."errorCode", m."errorMessage",
                p."firstName", p."lastName", p.dob, p.email
           FROM "Message" m JOIN "Conversation" c ON c.id = m."conversationId" LEFT JOIN "Patient" p ON p.id = c."patientId"
          WHERE m."orgId" = $1 AND m."fromNumber" = ANY($2::text[]) AND c."phoneNumberId" = ANY($7::text[])
            AND m.direction = 'outbound' AND m.status IN ('delivered', 'undelivered', 'failed')
            AND m."createdAt" >= $3 AND m."createdAt" < $4 AND (m."createdAt", m.id) > ($5::timestamptz, $6)
         UNION ALL
         SELECT r.id, COALESCE(b."sentAt", b."scheduledAt") AS "createdAt", NULL, r."skipReason", n.e164, COALESCE(p.phone, ''), 'skipped', NULL, NULL,
                p."firstName", p."lastName", p.dob, p.email
           FROM "BlastRecipient" r JOIN "Blast" b ON b.id = r."blastId" JOIN "PhoneNumber" n ON n.id = b."phoneNumberId" JOIN "Patient" p ON p.id = r."patientId"
          WHERE b."orgId" = $1 AND b."phoneNumberId" = ANY($7::text[]) AND r.status = 'skipped' AND r."skipReason" = ANY($9::text[])
            AND COALESCE(b."sentAt", b."scheduledAt") <= $8 AND NOT (b."canceledAt" IS NOT NULL AND b."canceledAt" < COALESCE(b."sentAt", b."scheduledAt"))
            AND COALESCE(b."sentAt", b."scheduledAt") >= $3 AND COALESCE(b."sentAt", b."scheduledAt") < $4
            AND (COALESCE(b."sentAt", b."scheduledAt"), r.id) > ($5::timestamptz, $6)
       ) x
        ORDER BY x."createdAt", x.id LIMIT 1000`,
      [actor.orgId, [...new Set(numbers.map((n) => n.e164))], from, to, cursor.at, cursor.id, numbers.map((n) => n.id), now, Object.keys(REFUSED_BEFORE_CARRIER)],
    );
    if (!rows.length) return;
    yield Papa.unparse(
      rows.map((r) =>
        [
          formatSent(r.sentAt ?? r.createdAt, timeZone),
          r.fromNumber,
          r.toNumber,
          r.firstName ?? '',
          r.lastName ?? '',
          r.dob ?? '',
          r.email ?? '',
          r.status === 'delivered' ? 'Delivered' : 'Error',
          r.errorCode ?? '',
          r.skipReason ? REFUSED_BEFORE_CARRIER[r.skipReason]! : (r.errorMessage ?? ''),
        ].map(neutralizeFormula), // every cell; an E.164 From/To stays as it is (see neutralizeFormula)
      ),
    ) + '\r\n';
    const last = rows[rows.length - 1]!;
    cursor = { at: last.createdAt, id: last.id };
  }
}
