import type { ComponentChildren } from 'preact';

type FieldProps = {
  label: string;
  /** The input's id; the label and the error message point at it. */
  id: string;
  error?: string;
  hint?: ComponentChildren;
  children: ComponentChildren;
};

/** A labelled input with its hint and its error underneath. */
export function Field({ label, id, error, hint, children }: FieldProps) {
  return (
    <div class={`field${error ? ' field-invalid' : ''}`}>
      <label for={id}>{label}</label>
      {children}
      {hint && !error && <p class="field-hint">{hint}</p>}
      {error && (
        <p class="field-error" id={`${id}-error`} role="alert" data-testid={`error-${id}`}>
          {error}
        </p>
      )}
    </div>
  );
}

export function FormError({ message }: { message: string | null }) {
  if (!message) return null;
  return (
    <div class="alert alert-error" role="alert" data-testid="form-error">
      {message}
    </div>
  );
}

/** Submit button that says what it is doing and cannot be pressed twice. */
export function SubmitButton({ pending, label, pendingLabel, class: className = 'btn btn-primary', testId }: {
  pending: boolean;
  label: string;
  pendingLabel?: string;
  class?: string;
  testId?: string;
}) {
  return (
    <button type="submit" class={className} disabled={pending} aria-busy={pending} data-testid={testId}>
      {pending ? (pendingLabel ?? `${label}…`) : label}
    </button>
  );
}
