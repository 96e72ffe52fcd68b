import { useState } from 'preact/hooks';
import { Field, FormError, SubmitButton } from '../../../components/Field';
import { EmptyState, ErrorState, Loading } from '../../../components/states';
import { formatDate } from '../../../lib/dates';
import { useSubmit } from '../../../lib/form';
import { notify } from '../../../lib/notices';
import { useQuery } from '../../../lib/query';
import { trpc } from '../../../lib/trpc';

/**
 * Settings → EHR adapters → Approved EHR origins (admins only; every change is audited). The
 * CareText extension reads pages and shows its sidebar only on these origins (and on published
 * adapters' URL patterns), after each user allows them in the extension's popup; everywhere
 * else it injects nothing and looks nobody up.
 */
export function ApprovedOrigins() {
  const origins = useQuery(() => trpc.ehrAdapters.origins.query(), []);
  const [pattern, setPattern] = useState('');
  const form = useSubmit(['pattern'], { BAD_REQUEST: 'pattern' });

  async function onSubmit(e: Event) {
    e.preventDefault();
    if (!pattern.trim()) return form.setFormError('Enter the address of your EHR, e.g. https://ehr.yourclinic.org');
    const result = await form.run(() => trpc.ehrAdapters.addOrigin.mutate({ pattern }));
    if (!result.ok) return;
    notify(`${result.value.pattern} approved. Staff allow it once in the CareText extension's popup.`);
    setPattern('');
    await origins.reload();
  }

  async function remove(id: string, value: string) {
    await trpc.ehrAdapters.removeOrigin.mutate({ originId: id });
    notify(`${value} removed: the sidebar stops there on the extension's next sync.`);
    await origins.reload();
  }

  return (
    <section class="card section" data-testid="ehr-origins">
      <div class="section-head">
        <div>
          <h2>Approved EHR origins{origins.data && origins.data.length > 0 && <span class="count">{origins.data.length}</span>}</h2>
          <p class="muted">
            The extension reads patient pages and shows its sidebar only on these sites (OpenEMR and labelled-field pages included); on any other site it does nothing.
            After you add one, each user clicks <strong>Allow</strong> in the CareText extension's popup once, and Chrome asks them to confirm.
          </p>
        </div>
      </div>
      <form class="inline-form" onSubmit={onSubmit} noValidate>
        <Field label="EHR origin or URL pattern" id="ehr-origin" error={form.fieldErrors.pattern} hint="e.g. https://ehr.yourclinic.org or https://*.openemr.yourclinic.org/interface/*">
          <input
            id="ehr-origin"
            type="text"
            class="input mono"
            value={pattern}
            onInput={(e) => setPattern(e.currentTarget.value)}
            placeholder="https://ehr.yourclinic.org"
            data-testid="ehr-origin-input"
          />
        </Field>
        <SubmitButton pending={form.pending} label="Approve origin" pendingLabel="Approving…" testId="ehr-origin-add" />
      </form>
      <FormError message={form.formError} />
      {origins.loading ? (
        <Loading />
      ) : !origins.data ? (
        <ErrorState message={origins.error ?? ''} onRetry={origins.reload} />
      ) : origins.data.length === 0 ? (
        <EmptyState title="No approved EHR origins yet" testId="ehr-origins-empty">
          Until you add your EHR's address, the extension shows its sidebar nowhere.
        </EmptyState>
      ) : (
        <ul class="template-list" data-testid="ehr-origin-list">
          {origins.data.map((o) => (
            <li key={o.id} class="template-item" data-testid="ehr-origin-item">
              <div class="template-text">
                <p class="template-body mono">{o.pattern}</p>
                <p class="muted small">Approved {formatDate(o.createdAt)}</p>
              </div>
              <div class="button-row">
                <button type="button" class="btn btn-ghost btn-small btn-danger-text" onClick={() => void remove(o.id, o.pattern)} data-testid="ehr-origin-remove">
                  Remove
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
