import { useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { Field, FormError, SubmitButton } from '../../components/Field';
import { formValues, useSubmit } from '../../lib/form';
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
  const { query } = useLocation();
  const form = useSubmit(['name', 'email', 'password']);
  const [sentTo, setSentTo] = useState<string | null>(null);
  const carry = query.next ? `?next=${encodeURIComponent(query.next)}${query.email ? `&email=${encodeURIComponent(query.email)}` : ''}` : '';

  async function onSubmit(e: Event) {
    e.preventDefault();
    if (form.pending) return;
    const input = form.check(signUpSchema, formValues(e.currentTarget as HTMLFormElement));
    if (!input) return;
    // The account is made from the emailed link, which brings the person back to `next`
    // (an invitation, say). The answer is the same whether or not the email has an account.
    const next = query.next ? safeNext(query.next, '') || undefined : undefined;
    const result = await form.run(async () => {
      await trpc.auth.signUp.mutate({ ...input, next, client: 'web' });
    });
    if (result.ok) setSentTo(input.email);
  }

  if (sentTo) {
    return (
      <AuthLayout title="Check your email" footer={<a href={`/sign-in${carry}`}>Back to sign in</a>}>
        <div class="alert alert-success" data-testid="sign-up-sent">
          We sent a link to <strong>{sentTo}</strong>. Open it within 24 hours to finish creating your account. If this
          address already has an account, the email says so instead.
        </div>
      </AuthLayout>
    );
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
