import { useRef, useState } from 'preact/hooks';
import type { z } from 'zod';
import { errorCode, errorMessage, type FieldErrors, fieldErrorsOf } from './errors';

export type Validation<T> = { ok: true; data: T; errors: FieldErrors } | { ok: false; data: null; errors: FieldErrors };

/** Runs a zod schema over form values; the first message per field, keyed like the server's. */
export function validate<S extends z.ZodType>(schema: S, values: unknown): Validation<z.output<S>> {
  const result = schema.safeParse(values);
  if (result.success) return { ok: true, data: result.data, errors: {} };
  const errors: FieldErrors = {};
  for (const issue of result.error.issues) {
    const key = issue.path.map(String).join('.');
    errors[key] ??= issue.message;
  }
  return { ok: false, data: null, errors };
}

/** Errors that are about one field without saying so, by tRPC code: `{ CONFLICT: 'mrn' }` (MRN taken). */
export type CodeFields = Partial<Record<string, string>>;

/**
 * Splits a failed call into per-field messages the form can place next to its inputs and one
 * message for the rest, so nothing the server said is lost and nothing is shown twice.
 */
export function splitErrors(error: unknown, fields: readonly string[], codeFields: CodeFields = {}): { formError: string | null; fieldErrors: FieldErrors } {
  const codeField = codeFields[errorCode(error) ?? ''];
  if (codeField && fields.includes(codeField)) return { formError: null, fieldErrors: { [codeField]: errorMessage(error) } };
  const all = fieldErrorsOf(error);
  const fieldErrors: FieldErrors = {};
  const rest: string[] = [];
  for (const [key, message] of Object.entries(all)) {
    if (fields.includes(key)) fieldErrors[key] = message;
    else rest.push(key ? `${key}: ${message}` : message);
  }
  if (Object.keys(all).length === 0) return { formError: errorMessage(error), fieldErrors };
  return { formError: rest.length ? rest.join('; ') : null, fieldErrors };
}

/** Text values of a form's named inputs (checkboxes: "on" when checked, absent otherwise). */
export function formValues(form: HTMLFormElement): Record<string, string> {
  const values: Record<string, string> = {};
  new FormData(form).forEach((value, key) => {
    if (typeof value === 'string') values[key] = value;
  });
  return values;
}

/**
 * State for one form's submit: pending (the button is disabled and a second submit is ignored
 * even before the re-render lands), a form-level error, and per-field errors.
 */
export function useSubmit(fields: readonly string[] = [], codeFields: CodeFields = {}) {
  const [pending, setPending] = useState(false);
  const [formError, setFormError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});
  const inFlight = useRef(false);

  async function run<T>(action: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false }> {
    if (inFlight.current) return { ok: false };
    inFlight.current = true;
    setPending(true);
    setFormError(null);
    setFieldErrors({});
    try {
      return { ok: true, value: await action() };
    } catch (error) {
      const split = splitErrors(error, fields, codeFields);
      setFormError(split.formError);
      setFieldErrors(split.fieldErrors);
      return { ok: false };
    } finally {
      inFlight.current = false;
      setPending(false);
    }
  }

  /** Client-side check before calling the server; shows the messages and says whether to go on. */
  function check<S extends z.ZodType>(schema: S, values: unknown): z.output<S> | null {
    const result = validate(schema, values);
    setFieldErrors(result.errors);
    setFormError(null);
    return result.ok ? result.data : null;
  }

  return { pending, formError, fieldErrors, run, check, setFormError };
}
