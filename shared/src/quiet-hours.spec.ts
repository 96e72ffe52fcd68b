import { describe, expect, it } from 'vitest';
import { isQuietTime, nextSendTime, zonedTime } from './quiet-hours.js';

const LA = { start: '20:00', end: '08:00', timeZone: 'America/Los_Angeles' };

describe('quiet hours', () => {
  it('wraps midnight in the patient time zone', () => {
    expect(isQuietTime(new Date('2026-04-22T16:00:00Z'), LA)).toBe(false); // 09:00 PDT
    expect(isQuietTime(new Date('2026-04-23T04:30:00Z'), LA)).toBe(true); // 21:30 PDT
    expect(isQuietTime(new Date('2026-04-23T14:59:00Z'), LA)).toBe(true); // 07:59 PDT
    expect(isQuietTime(new Date('2026-04-23T15:00:00Z'), LA)).toBe(false); // 08:00 PDT
  });

  it('next send time is the end of the window, today or tomorrow, across DST', () => {
    expect(nextSendTime(new Date('2026-04-23T04:30:00Z'), LA).toISOString()).toBe('2026-04-23T15:00:00.000Z');
    expect(nextSendTime(new Date('2026-04-23T10:00:00Z'), LA).toISOString()).toBe('2026-04-23T15:00:00.000Z');
    // Night of the spring-forward change (March 8, 2026): 08:00 is PDT (UTC-7).
    expect(nextSendTime(new Date('2026-03-08T06:00:00Z'), LA).toISOString()).toBe('2026-03-08T15:00:00.000Z');
    const daytime = new Date('2026-04-22T18:00:00Z');
    expect(nextSendTime(daytime, LA)).toBe(daytime);
  });

  it('a same-day window and an empty window', () => {
    const lunch = { start: '12:00', end: '13:00', timeZone: 'UTC' };
    expect(isQuietTime(new Date('2026-01-01T12:30:00Z'), lunch)).toBe(true);
    expect(isQuietTime(new Date('2026-01-01T13:30:00Z'), lunch)).toBe(false);
    expect(isQuietTime(new Date('2026-01-01T12:30:00Z'), { ...lunch, end: '12:00' })).toBe(false);
  });

  it('zonedTime finds the instant for a local wall time', () => {
    expect(zonedTime(2026, 11, 23, 9, 0, 'America/New_York').toISOString()).toBe('2026-11-23T14:00:00.000Z');
    expect(zonedTime(2026, 7, 1, 9, 0, 'America/New_York').toISOString()).toBe('2026-07-01T13:00:00.000Z');
  });
});
