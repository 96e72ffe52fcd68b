import { neutralizeFormula } from '@caretext/shared';
import type { BlastAnalytics } from './types';

export const CSV_COLUMNS = ['date', 'blast_sms', 'one_to_one_sms', 'total_sms', 'segments', 'mms', 'spend_usd', 'blast_replies', 'blast_reply_rate'] as const;

function cell(value: string): string {
  const safe = neutralizeFormula(value);
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

const rate = (replied: number, sent: number) => (sent ? (replied / sent).toFixed(4) : '');
const dollars = (cents: number) => (cents / 100).toFixed(4);

/** The figures on screen as a spreadsheet: one row per day, then a Total row. Counts only. */
export function analyticsCsv(data: BlastAnalytics, label: { team: string; number: string }): string {
  const rows: string[][] = [
    ['first_day', data.firstDay, 'last_day', data.lastDay, 'time_zone', data.timeZone, 'team', label.team, 'number', label.number],
    [...CSV_COLUMNS],
  ];
  for (const d of data.days) {
    rows.push([d.date, String(d.blast), String(d.oneToOne), String(d.blast + d.oneToOne), String(d.segments), String(d.mms), dollars(d.spendCents), String(d.blastReplied), rate(d.blastReplied, d.blast)]);
  }
  const t = data.totals;
  rows.push(['Total', String(t.blast), String(t.oneToOne), String(t.messages), String(t.segments), String(t.mms), dollars(t.spendCents), String(t.blastReplied), rate(t.blastReplied, t.blast)]);
  return rows.map((row) => row.map(cell).join(',')).join('\r\n') + '\r\n';
}

export function csvFileName(data: Pick<BlastAnalytics, 'firstDay' | 'lastDay'>): string {
  return `blast-analytics-${data.firstDay}-to-${data.lastDay}.csv`;
}
