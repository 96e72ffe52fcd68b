import { TRPCClientError } from '@trpc/client';
import { act, renderHook } from '@testing-library/preact';
import { describe, expect, it } from 'vitest';
import { newPasswordSchema, signUpSchema } from '../pages/auth/schemas';
import { splitErrors, useSubmit, validate } from './form';

describe('validate', () => {
  it('normalizes valid input the way the server will (trimmed, lower-cased email)', () => {
    const result = validate(signUpSchema, { name: '  Dana Reyes ', email: ' Dana@Clinic.Example ', password: 'long-enough-pw' });
    expect(result).toEqual({ ok: true, data: { name: 'Dana Reyes', email: 'dana@clinic.example', password: 'long-enough-pw' }, errors: {} });
  });

  it('gives one message per field, for every field that is wrong', () => {
    const result = validate(signUpSchema, { name: ' ', email: 'dana@', password: 'short' });
    expect(result.ok).toBe(false);
    expect(result.errors).toEqual({
      name: 'Enter your name',
      email: 'Enter a valid email address',
      password: 'Use at least 10 characters',
    });
  });

  it('puts a cross-field rule on the field the person has to fix', () => {
    const result = validate(newPasswordSchema, { password: 'a-good-password', confirm: 'a-good-passw0rd' });
    expect(result.errors).toEqual({ confirm: "The passwords don't match" });
  });
});

describe('splitErrors', () => {
  const zodError = TRPCClientError.from({
    error: {
      code: -32600,
      message: 'email: Enter a valid email address; client: Invalid option',
      data: { code: 'BAD_REQUEST', fieldErrors: { email: 'Enter a valid email address', client: 'Invalid option' } },
    },
  });

  it("places field messages beside the form's inputs and keeps the rest for the form", () => {
    expect(splitErrors(zodError, ['email', 'password'])).toEqual({
      fieldErrors: { email: 'Enter a valid email address' },
      formError: 'client: Invalid option',
    });
  });

  it('shows no form-level message when every field message has a place', () => {
    expect(splitErrors(zodError, ['email', 'client']).formError).toBeNull();
  });

  it('puts an error the server raised with a field-specific code beside that field', () => {
    const taken = TRPCClientError.from({ error: { code: -32600, message: 'MRN MRN-0001 already belongs to Amina Patel.', data: { code: 'CONFLICT' } } });
    expect(splitErrors(taken, ['mrn', 'phone'], { CONFLICT: 'mrn' })).toEqual({ fieldErrors: { mrn: 'MRN MRN-0001 already belongs to Amina Patel.' }, formError: null });
    expect(splitErrors(zodError, ['email'], { CONFLICT: 'mrn' }).fieldErrors).toEqual({ email: 'Enter a valid email address' });
  });

  it('uses the error message when the server gave no field messages', () => {
    const conflict = TRPCClientError.from({ error: { code: -32600, message: 'dana@clinic.example is already a member.', data: { code: 'CONFLICT' } } });
    expect(splitErrors(conflict, ['email'])).toEqual({ fieldErrors: {}, formError: 'dana@clinic.example is already a member.' });
  });
});

describe('useSubmit', () => {
  it('ignores a second submit while the first is still running, and is pending meanwhile', async () => {
    const { result } = renderHook(() => useSubmit(['email']));
    let calls = 0;
    let finish!: () => void;
    const action = () => {
      calls++;
      return new Promise<string>((resolve) => (finish = () => resolve('done')));
    };

    let first!: Promise<unknown>;
    let second!: Promise<unknown>;
    await act(() => {
      first = result.current.run(action);
      second = result.current.run(action);
    });
    expect(result.current.pending).toBe(true);
    expect(await second).toEqual({ ok: false });

    await act(async () => {
      finish();
      expect(await first).toEqual({ ok: true, value: 'done' });
    });
    expect(calls).toBe(1);
    expect(result.current.pending).toBe(false);
  });

  it('keeps the failure for the form to show and allows another try', async () => {
    const { result } = renderHook(() => useSubmit(['email']));
    await act(async () => {
      await result.current.run(() =>
        Promise.reject(TRPCClientError.from({ error: { code: -32600, message: 'x', data: { code: 'BAD_REQUEST', fieldErrors: { email: 'Enter a valid email address' } } } })),
      );
    });
    expect(result.current.fieldErrors).toEqual({ email: 'Enter a valid email address' });
    expect(result.current.formError).toBeNull();
    expect(result.current.pending).toBe(false);

    await act(async () => {
      expect(await result.current.run(async () => 42)).toEqual({ ok: true, value: 42 });
    });
    expect(result.current.fieldErrors).toEqual({});
  });
});
