import { EXPORT_MAX_YEAR, EXPORT_MIN_YEAR } from '@caretext/shared';

export type AuditFilters = { action: string; actorId: string; from: string; to: string };
export const NO_FILTERS: AuditFilters = { action: '', actorId: '', from: '', to: '' };

export type AuditQuery = { action?: string; actorId?: string; from?: Date; to?: Date };

/**
 * Turns the filter bar (dates as YYYY-MM-DD in the viewer's time zone) into the query: "to" is
 * inclusive, so it runs to the end of that day. Returns an error instead for an impossible range.
 */
export function toAuditQuery(filters: AuditFilters): { query: AuditQuery; error: null } | { query: null; error: string } {
  const from = filters.from ? localDay(filters.from, 'start') : undefined;
  const to = filters.to ? localDay(filters.to, 'end') : undefined;
  if (from === null || to === null) return { query: null, error: 'Enter dates as YYYY-MM-DD.' };
  // The server refuses these too (a typed 0001 or 9999 is a typo, not a filter): say so here first.
  if ([from, to].some((d) => d && (d.getFullYear() < EXPORT_MIN_YEAR || d.getFullYear() > EXPORT_MAX_YEAR))) {
    return { query: null, error: `Use a year between ${EXPORT_MIN_YEAR} and ${EXPORT_MAX_YEAR}.` };
  }
  if (from && to && from > to) return { query: null, error: 'The start date is after the end date.' };
  return {
    query: {
      ...(filters.action && { action: filters.action }),
      ...(filters.actorId && { actorId: filters.actorId }),
      ...(from && { from }),
      ...(to && { to }),
    },
    error: null,
  };
}

function localDay(value: string, edge: 'start' | 'end'): Date | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]) - 1, Number(match[3])];
  const date = edge === 'start' ? new Date(year, month, day, 0, 0, 0, 0) : new Date(year, month, day, 23, 59, 59, 999);
  // Rejects 2026-02-31 and the like, which Date would roll into March.
  if (date.getFullYear() !== year || date.getMonth() !== month || date.getDate() !== day) return null;
  return date;
}

export function hasFilters(filters: AuditFilters): boolean {
  return Object.values(filters).some(Boolean);
}
