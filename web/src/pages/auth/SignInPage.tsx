import { useLocation } from 'preact-iso';
import { Field, FormError, SubmitButton } from '../../components/Field';
import { formValues, useSubmit } from '../../lib/form';
import { refreshSession, signedOutNotice } from '../../lib/session';
import { trpc } from '../../lib/trpc';
import { GuestOnly, safeNext } from '../../routing';
import { AuthLayout } from './AuthLayout';
import { signInSchema } from './schemas';

export function SignInPage() {
  return (
    <GuestOnly>
      <SignInForm />
    </GuestOnly>
  );
}

function SignInForm() {
  const { query, route } = useLocation();
  const form = useSubmit(['email', 'password']);
  const carry = query.next ? `?next=${encodeURIComponent(query.next)}${query.email ? `&email=${encodeURIComponent(query.email)}` : ''}` : '';

  async function onSubmit(e: Event) {
    e.preventDefault();
    if (form.pending) return;
    const input = form.check(signInSchema, formValues(e.currentTarget as HTMLFormElement));
    if (!input) return;
    const result = await form.run(async () => {
      await trpc.auth.signIn.mutate({ ...input, client: 'web' });
      signedOutNotice.value = null;
      await refreshSession();
    });
    if (result.ok) route(safeNext(query.next), true);
  }

  return (
    <AuthLayout
      title="Sign in"
      subtitle="Welcome back. Sign in to message your patients and manage your clinic."
      footer={
        <>
          New to CareText? <a href={`/sign-up${carry}`}>Create an account</a>
        </>
      }
    >
      <form onSubmit={onSubmit} noValidate data-testid="sign-in-form">
        {signedOutNotice.value && !form.formError && (
          <div class="alert alert-info" role="status" data-testid="signed-out-notice">
            {signedOutNotice.value}
          </div>
        )}
        <FormError message={form.formError} />
        <Field label="Email" id="email" error={form.fieldErrors.email}>
          <input id="email" name="email" type="email" autoComplete="username" defaultValue={query.email ?? ''} autoFocus={!query.email} required />
        </Field>
        <Field label="Password" id="password" error={form.fieldErrors.password}>
          <input id="password" name="password" type="password" autoComplete="current-password" autoFocus={Boolean(query.email)} required />
        </Field>
        <div class="form-row-end">
          <a href="/forgot-password" class="small-link">
            Forgot password?
          </a>
        </div>
        <SubmitButton pending={form.pending} label="Sign in" pendingLabel="Signing in…" class="btn btn-primary btn-block" testId="sign-in-submit" />
      </form>
    </AuthLayout>
  );
}
