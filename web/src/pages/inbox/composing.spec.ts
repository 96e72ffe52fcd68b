import { TRPCClientError } from '@trpc/client';
import { describe, expect, it } from 'vitest';
import { newIdempotencyKey, refusalOf, segmentSummary } from './composing';

function refused(code: string, message: string, reason?: string, details?: Record<string, unknown>) {
  return TRPCClientError.from({ error: { code: -32600, message, data: { code, httpStatus: 412, path: 'conversations.send', reason, details } } });
}

describe('segmentSummary', () => {
  it('counts GSM-7 text against 160, then 153 per segment', () => {
    expect(segmentSummary('x'.repeat(142)).counter).toBe('142 / 160 · 1 segment · GSM-7');
    expect(segmentSummary('x'.repeat(161)).counter).toBe('161 / 306 · 2 segments · GSM-7');
    expect(segmentSummary('').counter).toBe('0 / 160 · 0 segments · GSM-7');
  });

  it('switches to UCS-2 for an emoji, which takes two units', () => {
    const s = segmentSummary('See you soon 😊');
    expect(s.counter).toBe('15 / 70 · 1 segment · UCS-2');
    expect(s.encoding).toBe('UCS-2');
  });

  it('estimates the cost per segment', () => {
    expect(segmentSummary('Hello').cost).toBe('$0.01');
    expect(segmentSummary('x'.repeat(1000)).segments).toBe(7);
  });
});

describe('refusalOf', () => {
  it('reads the reason and details of a refused send', () => {
    const quiet = refusalOf(refused('PRECONDITION_FAILED', 'It is quiet hours', 'quiet_hours', { nextSendTime: '2026-04-23T13:00:00.000Z' }));
    expect(quiet).toEqual({ reason: 'quiet_hours', message: 'It is quiet hours', details: { nextSendTime: '2026-04-23T13:00:00.000Z' } });
    expect(refusalOf(refused('BAD_REQUEST', 'The patient opted out', 'opted_out'))).toEqual({ reason: 'opted_out', message: 'The patient opted out', details: {} });
  });

  it('is null for errors that are not a refusal', () => {
    expect(refusalOf(refused('INTERNAL_SERVER_ERROR', 'boom'))).toBeNull();
    expect(refusalOf(new Error('offline'))).toBeNull();
  });
});

describe('newIdempotencyKey', () => {
  it('is new for every message and long enough for the server', () => {
    const keys = new Set(Array.from({ length: 50 }, newIdempotencyKey));
    expect(keys.size).toBe(50);
    for (const key of keys) expect(key.length).toBeGreaterThanOrEqual(8);
  });
});
