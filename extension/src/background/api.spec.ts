import { TRPCClientError } from '@trpc/client';
import { describe, expect, it } from 'vitest';
import { failureOf, isSignedOut, isUnreachable, serverOrigin } from './api';

const serverError = (code: string, data: Record<string, unknown> = {}) =>
  TRPCClientError.from({ error: { code: -32600, message: `refused: ${code}`, data: { code, httpStatus: 400, ...data } } });

describe('talking to the server', () => {
  it('takes the server address as typed', () => {
    expect(serverOrigin('caretext.clinic.org')).toBe('https://caretext.clinic.org');
    expect(serverOrigin(' http://127.0.0.1:3000/trpc ')).toBe('http://127.0.0.1:3000');
    expect(serverOrigin('ftp://files.example')).toBeNull();
    expect(serverOrigin('')).toBeNull();
  });

  it('tells "no answer" (retry with the same key) from an answer that refuses', () => {
    expect(isUnreachable(TRPCClientError.from(new TypeError('Failed to fetch')))).toBe(true);
    expect(isUnreachable(new TypeError('Failed to fetch'))).toBe(true);
    expect(isUnreachable(serverError('BAD_REQUEST', { reason: 'opted_out' }))).toBe(false);
    expect(isSignedOut(serverError('UNAUTHORIZED'))).toBe(true);
  });

  it('keeps the server’s refusal reason and details for the composer', () => {
    expect(failureOf(serverError('PRECONDITION_FAILED', { reason: 'quiet_hours', details: { nextSendTime: '2026-11-24T14:00:00.000Z' } }))).toEqual({
      message: 'refused: PRECONDITION_FAILED',
      reason: 'quiet_hours',
      details: { nextSendTime: '2026-11-24T14:00:00.000Z' },
    });
    expect(failureOf(serverError('UNAUTHORIZED')).reason).toBe('signed_out');
    expect(failureOf(TRPCClientError.from(new TypeError('Failed to fetch'))).reason).toBe('offline');
  });
});
