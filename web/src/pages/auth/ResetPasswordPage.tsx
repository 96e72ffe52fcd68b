import { useState } from 'preact/hooks';
import { useRoute } from 'preact-iso';
import { Field, FormError, SubmitButton } from '../../components/Field';
import { formValues, useSubmit } from '../../lib/form';
import { refreshSession } from '../../lib/session';
import { trpc } from '../../lib/trpc';
import { AuthLayout } from './AuthLayout';
import { newPasswordSchema } from './schemas';

export function ResetPasswordPage() {
  const { params } = useRoute();
  const form = useSubmit(['password', 'confirm']);
  const [done, setDone] = useState(false);

  async function onSubmit(e: Event) {
    e.preventDefault();
    const input = form.check(newPasswordSchema, formValues(e.currentTarget as HTMLFormElement));
    if (!input) return;
    const result = await form.run(async () => {
      await trpc.auth.resetPassword.mutate({ token: params.token!, password: input.password });
      // Every session ended with the reset, this browser's included.
      await refreshSession();
    });
    if (result.ok) setDone(true);
  }

  return (
    <AuthLayout title="Choose a new password" footer={<a href="/sign-in">Back to sign in</a>}>
      {done ? (
        <div class="alert alert-success" data-testid="reset-done">
          Your password is changed and you are signed out everywhere. <a href="/sign-in">Sign in</a> with your new password.
        </div>
      ) : (
        <form onSubmit={onSubmit} noValidate>
          <FormError message={form.formError} />
          <Field label="New password" id="password" error={form.fieldErrors.password} hint="At least 10 characters.">
            <input id="password" name="password" type="password" autoComplete="new-password" autoFocus required />
          </Field>
          <Field label="Repeat the new password" id="confirm" error={form.fieldErrors.confirm}>
            <input id="confirm" name="confirm" type="password" autoComplete="new-password" required />
          </Field>
          <SubmitButton pending={form.pending} label="Change password" pendingLabel="Saving…" class="btn btn-primary btn-block" />
        </form>
      )}
    </AuthLayout>
  );
}
