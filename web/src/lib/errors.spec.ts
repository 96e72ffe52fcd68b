import { TRPCClientError } from '@trpc/client';
import { describe, expect, it } from 'vitest';
import { errorCode, errorMessage, fieldErrorsOf } from './errors';

/** An error as the tRPC client builds it from the server's response (our errorFormatter's shape). */
function serverError(code: string, message: string, fieldErrors?: Record<string, string>) {
  return TRPCClientError.from({
    error: { code: -32600, message, data: { code, httpStatus: 400, path: 'x', fieldErrors } },
  });
}

describe('errorMessage', () => {
  it("shows the server's own message, which is written for the person", () => {
    expect(errorMessage(serverError('CONFLICT', 'An account with this email already exists. Sign in instead.'))).toBe(
      'An account with this email already exists. Sign in instead.',
    );
  });

  it('hides internal error details behind a calm retry message', () => {
    expect(errorMessage(serverError('INTERNAL_SERVER_ERROR', 'relation "User" does not exist'))).toBe(
      'Something went wrong on our side. Try again in a moment.',
    );
  });

  it('explains a request that never reached the server', () => {
    const offline = TRPCClientError.from(new TypeError('Failed to fetch'));
    expect(errorMessage(offline)).toBe("Can't reach CareText right now. Check your connection and try again.");
    expect(errorMessage(new TypeError('NetworkError when attempting to fetch resource.'))).toMatch(/Can't reach CareText/);
  });

  it('falls back for things that are not errors', () => {
    expect(errorMessage('boom')).toBe('Something went wrong.');
    expect(errorMessage(new Error('Plain failure'))).toBe('Plain failure');
  });
});

describe('fieldErrorsOf', () => {
  it("returns the server's per-field messages keyed by field path", () => {
    const error = serverError('BAD_REQUEST', 'email: Enter a valid email address', { email: 'Enter a valid email address', 'policies.quietHoursStart': 'Use HH:MM (24h)' });
    expect(fieldErrorsOf(error)).toEqual({ email: 'Enter a valid email address', 'policies.quietHoursStart': 'Use HH:MM (24h)' });
    expect(errorCode(error)).toBe('BAD_REQUEST');
  });

  it('is empty for errors without field messages', () => {
    expect(fieldErrorsOf(serverError('FORBIDDEN', 'Only organization admins can do this.'))).toEqual({});
    expect(fieldErrorsOf(new Error('x'))).toEqual({});
    expect(errorCode(new Error('x'))).toBeNull();
  });
});
