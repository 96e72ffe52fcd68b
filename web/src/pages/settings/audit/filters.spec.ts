import { describe, expect, it } from 'vitest';
import { NO_FILTERS, toAuditQuery } from './filters';

describe('toAuditQuery', () => {
  it('sends nothing for an empty filter bar', () => {
    expect(toAuditQuery(NO_FILTERS)).toEqual({ query: {}, error: null });
  });

  it('runs a date range from the start of the first day to the end of the last, in local time', () => {
    const { query } = toAuditQuery({ ...NO_FILTERS, from: '2026-11-01', to: '2026-11-23' });
    expect(query!.from).toEqual(new Date(2026, 10, 1, 0, 0, 0, 0));
    expect(query!.to).toEqual(new Date(2026, 10, 23, 23, 59, 59, 999));
  });

  it('lets a single day be both ends of the range', () => {
    const { query, error } = toAuditQuery({ ...NO_FILTERS, from: '2026-11-23', to: '2026-11-23' });
    expect(error).toBeNull();
    expect(query!.to!.getTime() - query!.from!.getTime()).toBe(86_400_000 - 1);
  });

  it('refuses a range that ends before it starts, and impossible dates', () => {
    expect(toAuditQuery({ ...NO_FILTERS, from: '2026-11-23', to: '2026-11-01' }).error).toBe('The start date is after the end date.');
    expect(toAuditQuery({ ...NO_FILTERS, from: '2026-02-31' }).error).toBe('Enter dates as YYYY-MM-DD.');
    expect(toAuditQuery({ ...NO_FILTERS, from: '2023-02-30' }).error).toBe('Enter dates as YYYY-MM-DD.');
    expect(toAuditQuery({ ...NO_FILTERS, to: '2023-13-01' }).error).toBe('Enter dates as YYYY-MM-DD.');
  });

  it('refuses absurd years the server would refuse', () => {
    expect(toAuditQuery({ ...NO_FILTERS, from: '1999-12-31' }).error).toBe('Use a year between 2000 and 2100.');
    expect(toAuditQuery({ ...NO_FILTERS, from: '0001-01-01' }).error).not.toBeNull();
    expect(toAuditQuery({ ...NO_FILTERS, to: '9999-12-31' }).error).toBe('Use a year between 2000 and 2100.');
  });

  it('passes action and actor through only when chosen', () => {
    expect(toAuditQuery({ ...NO_FILTERS, action: 'member.role_changed', actorId: 'u1' }).query).toEqual({ action: 'member.role_changed', actorId: 'u1' });
  });
});
