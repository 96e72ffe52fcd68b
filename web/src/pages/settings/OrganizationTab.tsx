import { orgNameSchema, timeZoneSchema } from '@caretext/shared';
import { useState } from 'preact/hooks';
import { z } from 'zod';
import { Field, FormError, SubmitButton } from '../../components/Field';
import { formatDate } from '../../lib/dates';
import { formValues, useSubmit } from '../../lib/form';
import { notify } from '../../lib/notices';
import { currentOrg, isAdmin, refreshSession } from '../../lib/session';
import { trpc } from '../../lib/trpc';
import { timeZoneOptions, withZone } from '../../lib/timeZones';

const schema = z.object({ name: orgNameSchema, timeZone: timeZoneSchema });

export function OrganizationTab() {
  const org = currentOrg.value!;
  const admin = isAdmin.value;
  const form = useSubmit(['name', 'timeZone']);
  const [zones] = useState(timeZoneOptions);
  const options = withZone(zones, org.timeZone);

  async function onSubmit(e: Event) {
    e.preventDefault();
    const input = form.check(schema, formValues(e.currentTarget as HTMLFormElement));
    if (!input) return;
    const result = await form.run(async () => {
      await trpc.orgs.update.mutate(input);
      await refreshSession();
    });
    if (result.ok) notify('Organization settings saved.');
  }

  return (
    <section class="card section" data-testid="organization-tab">
      <div class="section-head">
        <div>
          <h2>Organization</h2>
          <p class="muted">
            {admin ? 'How your organization appears to coworkers and patients.' : 'Only admins can change these settings.'}
          </p>
        </div>
      </div>
      {/* Re-mount when someone saves elsewhere, so the form shows what is stored. */}
      <form key={`${org.name}|${org.timeZone}`} onSubmit={onSubmit} noValidate class="form-narrow">
        <FormError message={form.formError} />
        <fieldset disabled={!admin}>
          <Field label="Name" id="org-name" error={form.fieldErrors.name}>
            <input id="org-name" name="name" defaultValue={org.name} required data-testid="org-name-input" />
          </Field>
          <Field label="Time zone" id="org-time-zone" error={form.fieldErrors.timeZone} hint="Quiet hours and scheduled messages follow this time zone.">
            <select id="org-time-zone" name="timeZone" defaultValue={org.timeZone}>
              {options.map((z) => (
                <option key={z} value={z} selected={z === org.timeZone}>
                  {z.replace(/_/g, ' ')}
                </option>
              ))}
            </select>
          </Field>
        </fieldset>
        <dl class="details">
          <dt>Plan</dt>
          <dd>{org.plan === 'sms' ? 'SMS' : 'Free'}</dd>
          <dt>Your role</dt>
          <dd class="capitalize" data-testid="my-role">{org.myRole}</dd>
          <dt>Created</dt>
          <dd>{formatDate(org.createdAt)}</dd>
        </dl>
        {admin && <SubmitButton pending={form.pending} label="Save changes" pendingLabel="Saving…" />}
      </form>
    </section>
  );
}
