import { emailSchema } from '@caretext/shared';
import { useState } from 'preact/hooks';
import { z } from 'zod';
import { Field, FormError, SubmitButton } from '../../components/Field';
import { formValues, useSubmit } from '../../lib/form';
import { useQuery } from '../../lib/query';
import { trpc } from '../../lib/trpc';
import { AuthLayout } from './AuthLayout';

const schema = z.object({ email: emailSchema });

export function ForgotPasswordPage() {
  const form = useSubmit(['email']);
  const [sentTo, setSentTo] = useState<string | null>(null);
  const mailbox = useQuery(() => trpc.devMailbox.enabled.query(), []);

  async function onSubmit(e: Event) {
    e.preventDefault();
    const input = form.check(schema, formValues(e.currentTarget as HTMLFormElement));
    if (!input) return;
    const result = await form.run(() => trpc.auth.requestPasswordReset.mutate(input));
    if (result.ok) setSentTo(input.email);
  }

  return (
    <AuthLayout
      title="Reset your password"
      subtitle={sentTo ? undefined : "Enter the email you sign in with. We'll send you a link to choose a new password."}
      footer={<a href="/sign-in">Back to sign in</a>}
    >
      {sentTo ? (
        <div class="alert alert-success" data-testid="reset-sent">
          If an account exists for <strong>{sentTo}</strong>, a reset link is on its way. The link works for 60 minutes.
          {mailbox.data && (
            <p>
              This is a demo server: the email is in the <a href="/dev/mailbox">Dev mailbox</a>, shown only to its
              recipient once signed in (so nobody can reset someone else's password). Locked out of a demo account? Use
              the demo sign-ins printed in the server's log.
            </p>
          )}
        </div>
      ) : (
        <form onSubmit={onSubmit} noValidate>
          <FormError message={form.formError} />
          <Field label="Email" id="email" error={form.fieldErrors.email}>
            <input id="email" name="email" type="email" autoComplete="username" autoFocus required />
          </Field>
          <SubmitButton pending={form.pending} label="Send reset link" pendingLabel="Sending…" class="btn btn-primary btn-block" />
        </form>
      )}
    </AuthLayout>
  );
}
