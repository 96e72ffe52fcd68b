import { orgPoliciesSchema } from '@caretext/shared';
import { useState } from 'preact/hooks';
import { Field, FormError, SubmitButton } from '../../components/Field';
import { useSubmit } from '../../lib/form';
import { notify } from '../../lib/notices';
import { currentOrg, isAdmin, refreshSession } from '../../lib/session';
import { trpc } from '../../lib/trpc';
import { AutoRepliesCard } from './AutoRepliesCard';

const FIELDS = ['secureLinkExpiryHours', 'quietHoursEnabled', 'quietHoursStart', 'quietHoursEnd', 'smsAllowed', 'externalChatAllowed', 'idleTimeoutMinutes'];

export function PoliciesTab() {
  const org = currentOrg.value!;
  // Re-mount when the stored policies change (saved here or by another admin).
  return (
    <div class="stack-lg">
      <PoliciesForm key={JSON.stringify(org.policies)} />
      <AutoRepliesCard />
    </div>
  );
}

function PoliciesForm() {
  const org = currentOrg.value!;
  // Only an external collaborator's session has none, and Settings is never shown to them.
  const policies = org.policies!;
  const admin = isAdmin.value;
  const form = useSubmit(FIELDS);
  const [values, setValues] = useState({
    ...policies,
    secureLinkExpiryHours: String(policies.secureLinkExpiryHours),
    idleTimeoutMinutes: String(policies.idleTimeoutMinutes),
  });
  const set = (patch: Partial<typeof values>) => setValues({ ...values, ...patch });

  async function onSubmit(e: Event) {
    e.preventDefault();
    const whole = (text: string) => (text.trim() === '' ? Number.NaN : Number(text.trim()));
    const input = form.check(orgPoliciesSchema, {
      ...values,
      secureLinkExpiryHours: whole(values.secureLinkExpiryHours),
      idleTimeoutMinutes: whole(values.idleTimeoutMinutes),
    });
    if (!input) return;
    const result = await form.run(async () => {
      await trpc.orgs.updatePolicies.mutate(input);
      await refreshSession();
    });
    if (result.ok) notify('Policies saved.');
  }

  return (
    <section class="card section" data-testid="policies-tab">
      <div class="section-head">
        <div>
          <h2>Policies</h2>
          <p class="muted">{admin ? 'Rules every message in your organization follows.' : 'Only admins can change policies.'}</p>
        </div>
      </div>
      <form onSubmit={onSubmit} noValidate class="form-narrow">
        <FormError message={form.formError} />
        <fieldset disabled={!admin}>
          <Field
            label="Secure link expiry (hours)"
            id="secure-link-expiry"
            error={form.fieldErrors.secureLinkExpiryHours && 'Enter a whole number of hours from 1 to 720 (30 days).'}
            hint="How long a patient's secure message link works. Up to 720 hours (30 days)."
          >
            <input
              id="secure-link-expiry"
              type="number"
              min={1}
              max={720}
              step={1}
              class="input-short"
              value={values.secureLinkExpiryHours}
              onInput={(e) => set({ secureLinkExpiryHours: e.currentTarget.value })}
            />
          </Field>

          <Field
            label="Sign out after inactivity (minutes)"
            id="idle-timeout"
            error={form.fieldErrors.idleTimeoutMinutes && 'Enter a whole number of minutes from 5 to 720 (12 hours).'}
            hint="Web sessions end after this long without use (automatic logoff). The browser extension signs out after 12 hours without use."
          >
            <input
              id="idle-timeout"
              type="number"
              min={5}
              max={720}
              step={1}
              class="input-short"
              value={values.idleTimeoutMinutes}
              onInput={(e) => set({ idleTimeoutMinutes: e.currentTarget.value })}
              data-testid="idle-timeout"
            />
          </Field>

          <div class="policy-group">
            <label class="check">
              <input type="checkbox" checked={values.quietHoursEnabled} onChange={(e) => set({ quietHoursEnabled: e.currentTarget.checked })} data-testid="quiet-hours-enabled" />
              <span>
                <strong>Quiet hours</strong>
                <span class="muted block">Hold texts to patients during these hours ({org.timeZone.replace(/_/g, ' ')} time).</span>
              </span>
            </label>
            <div class="inline-fields">
              <Field label="From" id="quiet-start" error={form.fieldErrors.quietHoursStart}>
                <input id="quiet-start" type="time" value={values.quietHoursStart} disabled={!values.quietHoursEnabled} onInput={(e) => set({ quietHoursStart: e.currentTarget.value })} />
              </Field>
              <Field label="Until" id="quiet-end" error={form.fieldErrors.quietHoursEnd}>
                <input id="quiet-end" type="time" value={values.quietHoursEnd} disabled={!values.quietHoursEnabled} onInput={(e) => set({ quietHoursEnd: e.currentTarget.value })} />
              </Field>
            </div>
          </div>

          <div class="policy-group">
            <label class="check">
              <input type="checkbox" checked={values.smsAllowed} onChange={(e) => set({ smsAllowed: e.currentTarget.checked })} />
              <span>
                <strong>Allow SMS</strong>
                <span class="muted block">Staff may send plain text messages (no PHI). Needs the SMS plan.</span>
              </span>
            </label>
          </div>
          <div class="policy-group">
            <label class="check">
              <input type="checkbox" checked={values.externalChatAllowed} onChange={(e) => set({ externalChatAllowed: e.currentTarget.checked })} />
              <span>
                <strong>Allow external chat</strong>
                <span class="muted block">Staff may chat with people from other organizations.</span>
              </span>
            </label>
          </div>
        </fieldset>
        {admin && <SubmitButton pending={form.pending} label="Save policies" pendingLabel="Saving…" testId="save-policies" />}
      </form>
    </section>
  );
}
