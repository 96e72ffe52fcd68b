import { TRPCClientError } from '@trpc/client';
import { describe, expect, it } from 'vitest';
import { refusalOf } from './composing';

function refused(code: string, message: string, reason?: string, details?: Record<string, unknown>) {
  return TRPCClientError.from({ error: { code: -32600, message, data: { code, httpStatus: 412, path: 'conversations.send', reason, details } } });
}

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
