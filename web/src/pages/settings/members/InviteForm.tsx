import { emailSchema } from '@caretext/shared';
import { z } from 'zod';
import { Field, FormError, SubmitButton } from '../../../components/Field';
import { formValues, useSubmit } from '../../../lib/form';
import { notify } from '../../../lib/notices';
import { trpc } from '../../../lib/trpc';

const schema = z.object({ email: emailSchema, role: z.enum(['admin', 'member']) });

export function InviteForm({ onInvited }: { onInvited: () => void }) {
  const form = useSubmit(['email', 'role']);

  async function onSubmit(e: Event) {
    e.preventDefault();
    const formEl = e.currentTarget as HTMLFormElement;
    const input = form.check(schema, formValues(formEl));
    if (!input) return;
    const result = await form.run(() => trpc.members.invite.mutate(input));
    if (result.ok) {
      notify(`Invite sent to ${result.value.email}.`);
      formEl.reset();
      onInvited();
    }
  }

  return (
    <section class="card section">
      <div class="section-head">
        <div>
          <h2>Invite a coworker</h2>
          <p class="muted">They get an email with a link to join. The link works for 7 days.</p>
        </div>
      </div>
      <form onSubmit={onSubmit} noValidate class="inline-form" data-testid="invite-form">
        <Field label="Email" id="invite-email" error={form.fieldErrors.email}>
          <input id="invite-email" name="email" type="email" autoComplete="off" placeholder="coworker@clinic.example" required />
        </Field>
        <Field label="Role" id="invite-role" error={form.fieldErrors.role}>
          <select id="invite-role" name="role" defaultValue="member">
            <option value="member">Member</option>
            <option value="admin">Admin</option>
          </select>
        </Field>
        <div class="inline-form-submit">
          <SubmitButton pending={form.pending} label="Send invite" pendingLabel="Sending…" testId="invite-submit" />
        </div>
      </form>
      <FormError message={form.formError} />
    </section>
  );
}
