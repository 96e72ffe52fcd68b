import { formatPhoneForDisplay } from '@caretext/shared';
import { useEffect, useState } from 'preact/hooks';
import { z } from 'zod';
import { Field, FormError, SubmitButton } from '../../components/Field';
import { ErrorState, Loading } from '../../components/states';
import { errorMessage } from '../../lib/errors';
import { formValues, useSubmit } from '../../lib/form';
import { notify } from '../../lib/notices';
import { trpc } from '../../lib/trpc';

const schema = z.object({ phone: z.string().max(64, 'That is too long for a phone number.') });

/** The signed-in person's own settings: their mobile, where "Send Test to Me" texts a blast. */
export function MyAccountTab() {
  const [phone, setPhone] = useState<string | null | undefined>(undefined);
  const [loadError, setLoadError] = useState<string | null>(null);
  const form = useSubmit(['phone']);

  const load = () => {
    setLoadError(null);
    trpc.account.get.query().then((a) => setPhone(a.phone), (e: unknown) => setLoadError(errorMessage(e)));
  };
  useEffect(load, []);

  async function onSubmit(e: Event) {
    e.preventDefault();
    const input = form.check(schema, formValues(e.currentTarget as HTMLFormElement));
    if (!input) return;
    const result = await form.run(() => trpc.account.setPhone.mutate(input));
    if (result.ok) {
      setPhone(result.value.phone);
      notify(result.value.phone ? 'Your phone number is saved.' : 'Your phone number is removed.');
    }
  }

  return (
    <section class="card section" data-testid="my-account-tab">
      <div class="section-head">
        <div>
          <h2>My account</h2>
          <p class="muted">Your own mobile number: "Send Test to Me" texts a blast's message there before you send it. Only you see it.</p>
        </div>
      </div>
      {loadError ? (
        <ErrorState message={loadError} onRetry={load} />
      ) : phone === undefined ? (
        <Loading />
      ) : (
        <form key={phone ?? ''} onSubmit={onSubmit} noValidate class="form-narrow">
          <FormError message={form.formError} />
          <Field label="My mobile number" id="my-phone" error={form.fieldErrors.phone} hint={phone ? `Saved: ${formatPhoneForDisplay(phone)}. Leave empty to remove it.` : 'Not set yet.'}>
            <input id="my-phone" name="phone" type="tel" autocomplete="tel" defaultValue={phone ? formatPhoneForDisplay(phone) : ''} placeholder="(415) 555-0134" data-testid="my-phone-input" />
          </Field>
          <SubmitButton pending={form.pending} label="Save" pendingLabel="Saving…" />
        </form>
      )}
    </section>
  );
}
