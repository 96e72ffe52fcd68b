import { useLocation } from 'preact-iso';
import { Field, FormError, SubmitButton } from '../../components/Field';
import { formValues, useSubmit } from '../../lib/form';
import { refreshSession } from '../../lib/session';
import { trpc } from '../../lib/trpc';
import { GuestOnly, safeNext } from '../../routing';
import { AuthLayout } from './AuthLayout';
import { signUpSchema } from './schemas';

export function SignUpPage() {
  return (
    <GuestOnly>
      <SignUpForm />
    </GuestOnly>
  );
}

export function SignUpForm() {
  const { query, route } = useLocation();
  const form = useSubmit(['name', 'email', 'password']);
  const carry = query.next ? `?next=${encodeURIComponent(query.next)}${query.email ? `&email=${encodeURIComponent(query.email)}` : ''}` : '';

  async function onSubmit(e: Event) {
    e.preventDefault();
    if (form.pending) return;
    const input = form.check(signUpSchema, formValues(e.currentTarget as HTMLFormElement));
    if (!input) return;
    const result = await form.run(async () => {
      await trpc.auth.signUp.mutate({ ...input, client: 'web' });
      await refreshSession();
    });
    if (result.ok) route(safeNext(query.next, '/welcome'), true);
  }

  return (
    <AuthLayout
      title="Create your account"
      subtitle="Set up CareText for your clinic, or join your coworkers."
      footer={
        <>
          Already have an account? <a href={`/sign-in${carry}`}>Sign in</a>
        </>
      }
    >
      <form onSubmit={onSubmit} noValidate data-testid="sign-up-form">
        <FormError message={form.formError} />
        <Field label="Full name" id="name" error={form.fieldErrors.name}>
          <input id="name" name="name" autoComplete="name" autoFocus required />
        </Field>
        <Field label="Work email" id="email" error={form.fieldErrors.email}>
          <input id="email" name="email" type="email" autoComplete="username" defaultValue={query.email ?? ''} required />
        </Field>
        <Field label="Password" id="password" error={form.fieldErrors.password} hint="At least 10 characters.">
          <input id="password" name="password" type="password" autoComplete="new-password" required />
        </Field>
        <SubmitButton pending={form.pending} label="Create account" pendingLabel="Creating account…" class="btn btn-primary btn-block" testId="sign-up-submit" />
      </form>
    </AuthLayout>
  );
}
