import { emailSchema } from '@caretext/shared';
import { useState } from 'preact/hooks';
import { z } from 'zod';
import { Field, FormError, SubmitButton } from '../../../components/Field';
import { formatDate } from '../../../lib/dates';
import { formValues, useSubmit } from '../../../lib/form';
import { notify } from '../../../lib/notices';
import { useQuery } from '../../../lib/query';
import { trpc } from '../../../lib/trpc';

const FIELDS = ['phoneNumber', 'currentCarrier', 'authorizedName', 'authorizedEmail', 'accountNumber', 'notes'];

const optional = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .transform((v) => v || undefined);

const portSchema = z.object({
  phoneNumber: z.string().trim().min(5, 'Enter the number you want to keep.').max(30),
  currentCarrier: z.string().trim().min(2, 'Enter the carrier the number is with today.').max(80),
  authorizedName: z.string().trim().min(2, 'Enter the name on the carrier account.').max(100),
  authorizedEmail: emailSchema,
  accountNumber: optional(60),
  notes: optional(1000),
});

const STATUS: Record<string, { label: string; badge: string }> = {
  submitted: { label: 'Submitted', badge: 'badge-pending' },
  in_review: { label: 'In review', badge: 'badge-pending' },
  completed: { label: 'Ported', badge: 'badge-approved' },
  rejected: { label: 'Not portable', badge: 'badge-rejected' },
};

/** Keep the clinic's existing number: a request support works through by hand, and its status. */
export function PortIn() {
  const requests = useQuery(() => trpc.numbers.portRequests.query(), []);
  const [open, setOpen] = useState(false);
  const form = useSubmit(FIELDS);

  async function onSubmit(e: Event) {
    e.preventDefault();
    const el = e.currentTarget as HTMLFormElement;
    const input = form.check(portSchema, formValues(el));
    if (!input) return;
    const result = await form.run(() => trpc.numbers.requestPort.mutate(input));
    if (result.ok) {
      notify('Port-in request sent. Support will email you about eligibility.');
      el.reset();
      setOpen(false);
      await requests.reload();
    }
  }

  return (
    <section class="card section" data-testid="port-in">
      <div class="section-head">
        <div>
          <h2>Keep your existing number</h2>
          <p class="muted">
            Move your office number to CareText (a port-in). Not every number is portable (toll-free numbers, numbers under contract with the current carrier, and others);
            our support team confirms eligibility before anything changes.
          </p>
        </div>
        {!open && (
          <button type="button" class="btn btn-secondary" onClick={() => setOpen(true)} data-testid="port-in-open">
            Request a port-in
          </button>
        )}
      </div>

      {open && (
        <form onSubmit={onSubmit} noValidate class="port-form" data-testid="port-in-form">
          <div class="field-grid">
            <Field label="Number to keep" id="port-phone" error={form.fieldErrors.phoneNumber}>
              <input id="port-phone" name="phoneNumber" type="tel" placeholder="(415) 555-0100" autoComplete="off" />
            </Field>
            <Field label="Current carrier" id="port-carrier" error={form.fieldErrors.currentCarrier}>
              <input id="port-carrier" name="currentCarrier" placeholder="e.g. AT&T, Comcast Business" autoComplete="off" />
            </Field>
            <Field label="Authorized contact name" id="port-name" error={form.fieldErrors.authorizedName} hint="The person named on the carrier account.">
              <input id="port-name" name="authorizedName" autoComplete="name" />
            </Field>
            <Field label="Authorized contact email" id="port-email" error={form.fieldErrors.authorizedEmail}>
              <input id="port-email" name="authorizedEmail" type="email" autoComplete="email" />
            </Field>
            <Field label="Account number (optional)" id="port-account" error={form.fieldErrors.accountNumber} hint="From a recent bill; speeds the port up.">
              <input id="port-account" name="accountNumber" autoComplete="off" />
            </Field>
          </div>
          <Field label="Notes (optional)" id="port-notes" error={form.fieldErrors.notes}>
            <textarea id="port-notes" name="notes" rows={2} placeholder="Anything support should know, e.g. the best time to switch over." />
          </Field>
          <FormError message={form.formError} />
          <div class="button-row">
            <button type="button" class="btn btn-ghost" onClick={() => setOpen(false)} disabled={form.pending}>
              Cancel
            </button>
            <SubmitButton pending={form.pending} label="Send port-in request" pendingLabel="Sending…" testId="port-in-submit" />
          </div>
        </form>
      )}

      {requests.data && requests.data.length > 0 && (
        <div class="table-wrap port-requests">
          <table class="table" data-testid="port-requests">
            <thead>
              <tr>
                <th>Number</th>
                <th>Current carrier</th>
                <th>Requested</th>
                <th>Status</th>
              </tr>
            </thead>
            <tbody>
              {requests.data.map((r) => {
                const status = STATUS[r.status] ?? { label: r.status, badge: '' };
                return (
                  <tr key={r.id} data-testid="port-request" data-status={r.status}>
                    <td class="cell-strong nowrap">{r.display}</td>
                    <td>{r.currentCarrier}</td>
                    <td class="nowrap">{formatDate(r.createdAt)}</td>
                    <td>
                      <span class={`badge ${status.badge}`}>{status.label}</span>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {requests.error && <p class="field-error">Couldn't load port-in requests: {requests.error}</p>}
    </section>
  );
}
