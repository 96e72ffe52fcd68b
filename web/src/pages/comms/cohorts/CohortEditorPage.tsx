import { BIRTHDAY_WHEN, COHORT_CONSENT_FIELDS, type CohortFilter, cohortFilterSchema, cohortNameSchema, emptyCohortFilter, formatPhoneForDisplay, MONTHS } from '@caretext/shared';
import { useEffect, useRef, useState } from 'preact/hooks';
import { useLocation, useRoute } from 'preact-iso';
import { z } from 'zod';
import { ConfirmDialog } from '../../../components/ConfirmDialog';
import { Field, FormError, SubmitButton } from '../../../components/Field';
import { EmptyState, ErrorState, Loading } from '../../../components/states';
import { formatCalendarDate } from '../../../lib/dates';
import { errorMessage } from '../../../lib/errors';
import { useSubmit } from '../../../lib/form';
import { notify } from '../../../lib/notices';
import { useQuery } from '../../../lib/query';
import { isAdmin } from '../../../lib/session';
import { type RouterOutputs, trpc } from '../../../lib/trpc';
import { ChoiceChips, TriState } from './FilterControls';

type Cohort = RouterOutputs['cohorts']['get'];
type Preview = RouterOutputs['cohorts']['preview']['patients'];

/** How long the editor waits after the last change before asking for a new count and preview. */
export const LIVE_DEBOUNCE_MS = 300;
const PREVIEW_SIZE = 10;

/** /comms/cohorts/new and /comms/cohorts/:cohortId — filters, a live count, the first matching patients. */
export function CohortEditorPage() {
  const { params } = useRoute();
  const cohortId = params.cohortId;
  const existing = useQuery<Cohort | null>(() => (cohortId ? trpc.cohorts.get.query({ cohortId }) : Promise.resolve(null)), [cohortId]);
  if (existing.loading) return <Loading />;
  if (existing.error) return <ErrorState message={existing.error} onRetry={existing.reload} />;
  return <CohortEditor key={cohortId ?? 'new'} cohort={existing.data ?? null} />;
}

export function CohortEditor({ cohort }: { cohort: Cohort | null }) {
  const admin = isAdmin.value;
  const { route } = useLocation();
  const [name, setName] = useState(cohort?.name ?? '');
  const [filter, setFilter] = useState<CohortFilter>(cohort?.filter ?? emptyCohortFilter());
  const [deleting, setDeleting] = useState(false);
  const options = useQuery(() => trpc.cohorts.options.query(), []);
  const live = useLiveCohort(filter);
  const form = useSubmit(['name'], { CONFLICT: 'name' });
  const set = <K extends keyof CohortFilter>(key: K, value: CohortFilter[K]) => setFilter((f) => ({ ...f, [key]: value }));

  async function onSubmit(e: Event) {
    e.preventDefault();
    const checked = form.check(z.object({ name: cohortNameSchema }), { name });
    if (!checked || live.invalid) return;
    const saved = await form.run(() => (cohort ? trpc.cohorts.update.mutate({ cohortId: cohort.id, name: checked.name, filter }) : trpc.cohorts.create.mutate({ name: checked.name, filter })));
    if (saved.ok) {
      notify(`Cohort ${saved.value.name} saved.`);
      route('/comms/cohorts');
    }
  }

  return (
    <form class="cohort-editor" onSubmit={onSubmit} noValidate data-testid="cohort-editor">
      <section class="card section stack">
        <div class="section-head">
          <div>
            <h2>{cohort ? cohort.name : 'New cohort'}</h2>
            <p class="muted">Filters combine: a patient must match every filter you set. Within one filter, any of the chosen values matches (tags can ask for all).</p>
          </div>
          <a href="/comms/cohorts" class="btn btn-ghost">
            Back to cohorts
          </a>
        </div>
        <FormError message={form.formError} />
        <fieldset class="cohort-fields" disabled={!admin}>
          <Field label="Name" id="cohort-name" error={form.fieldErrors.name}>
            <input id="cohort-name" value={name} maxLength={80} onInput={(e) => setName(e.currentTarget.value)} data-testid="cohort-name" />
          </Field>
          {options.error && <p class="alert alert-warning">Couldn’t load the locations, providers and tags in use: {options.error}</p>}
          <ChoiceChips label="Location" testId="filter-locations" values={options.data?.locations ?? []} selected={filter.locations} onChange={(v) => set('locations', v)} none="No patient has a location yet." />
          <ChoiceChips label="Provider" testId="filter-providers" values={options.data?.providers ?? []} selected={filter.providers} onChange={(v) => set('providers', v)} none="No patient has a provider yet." />
          <div class="cohort-row">
            <ChoiceChips label="Tags" testId="filter-tags" values={options.data?.tags ?? []} selected={filter.tags} onChange={(v) => set('tags', v)} none="No patient has tags yet." />
            <label class="cohort-inline">
              Match
              <select value={filter.tagMatch} onChange={(e) => set('tagMatch', e.currentTarget.value as 'any' | 'all')} data-testid="filter-tag-match">
                <option value="any">any of these tags</option>
                <option value="all">all of these tags</option>
              </select>
            </label>
          </div>
          <div class="cohort-row">
            <Field label="Age from" id="filter-age-min" error={live.fieldErrors.ageMin}>
              <input id="filter-age-min" class="input-short" type="number" min={0} max={130} value={filter.ageMin ?? ''} onInput={(e) => set('ageMin', numberOrNull(e.currentTarget.value))} data-testid="filter-age-min" />
            </Field>
            <Field label="Age to" id="filter-age-max" error={live.fieldErrors.ageMax}>
              <input id="filter-age-max" class="input-short" type="number" min={0} max={130} value={filter.ageMax ?? ''} onInput={(e) => set('ageMax', numberOrNull(e.currentTarget.value))} data-testid="filter-age-max" />
            </Field>
            <p class="field-hint cohort-hint">Whole years today, in your organization’s time zone.</p>
          </div>
          <ChoiceChips
            label="Birthday month"
            testId="filter-months"
            values={MONTHS.map((_, i) => String(i + 1))}
            labelOf={(v) => MONTHS[Number(v) - 1]!.slice(0, 3)}
            selected={filter.birthdayMonths.map(String)}
            onChange={(v) => set('birthdayMonths', v.map(Number).sort((a, b) => a - b))}
          />
          <label class="cohort-inline">
            Birthday
            <select value={filter.birthdayWhen} onChange={(e) => set('birthdayWhen', e.currentTarget.value as CohortFilter['birthdayWhen'])} data-testid="filter-birthday-when">
              {Object.entries(BIRTHDAY_WHEN).map(([value, label]) => (
                <option key={value} value={value}>
                  {value === 'any' ? 'Any day' : `${label.replace('Birthday ', '')} (in your time zone, on the day it is used)`}
                </option>
              ))}
            </select>
          </label>
          <div class="cohort-row">
            <TriState label="Has phone" testId="filter-has-phone" value={filter.hasPhone} onChange={(v) => set('hasPhone', v)} />
            <TriState label="Has email" testId="filter-has-email" value={filter.hasEmail} onChange={(v) => set('hasEmail', v)} />
          </div>
          <details class="cohort-consent" open={COHORT_CONSENT_FIELDS.some((c) => filter.consent[c.key] != null)}>
            <summary>Consent</summary>
            <div class="cohort-row cohort-wrap">
              {COHORT_CONSENT_FIELDS.map((c) => (
                <TriState key={c.key} label={c.label} testId={`filter-consent-${c.key}`} value={filter.consent[c.key] ?? null} onChange={(v) => set('consent', { ...filter.consent, [c.key]: v ?? undefined })} />
              ))}
            </div>
          </details>
          <div class="cohort-row">
            <label class="cohort-inline">
              Added
              <select value={filter.addedVia} onChange={(e) => set('addedVia', e.currentTarget.value as CohortFilter['addedVia'])} data-testid="filter-added-via">
                <option value="any">created or imported</option>
                <option value="import">imported from a CSV</option>
                <option value="created">created in CareText</option>
              </select>
            </label>
            <Field label="From" id="filter-added-from" error={live.fieldErrors.addedFrom}>
              <input id="filter-added-from" type="date" value={filter.addedFrom ?? ''} onInput={(e) => set('addedFrom', e.currentTarget.value || null)} data-testid="filter-added-from" />
            </Field>
            <Field label="To" id="filter-added-to" error={live.fieldErrors.addedTo}>
              <input id="filter-added-to" type="date" value={filter.addedTo ?? ''} onInput={(e) => set('addedTo', e.currentTarget.value || null)} data-testid="filter-added-to" />
            </Field>
          </div>
        </fieldset>
        {admin && (
          <div class="button-row">
            <SubmitButton pending={form.pending} label={cohort ? 'Save changes' : 'Create cohort'} pendingLabel="Saving…" testId="cohort-save" />
            {cohort && (
              <button type="button" class="btn btn-ghost btn-danger-text" onClick={() => setDeleting(true)} data-testid="cohort-delete">
                Delete
              </button>
            )}
          </div>
        )}
      </section>
      <LivePanel live={live} />
      {deleting && cohort && (
        <ConfirmDialog
          title={`Delete “${cohort.name}”?`}
          confirmLabel="Delete cohort"
          onClose={() => setDeleting(false)}
          onConfirm={async () => {
            await trpc.cohorts.delete.mutate({ cohortId: cohort.id });
            notify(`Cohort ${cohort.name} deleted.`);
            route('/comms/cohorts');
          }}
        >
          <p>The patients are not affected; only this saved set of filters goes.</p>
        </ConfirmDialog>
      )}
    </form>
  );
}

const numberOrNull = (text: string) => (text.trim() === '' ? null : Math.trunc(Number(text)));

type Live = {
  count: number | null;
  patients: Preview | null;
  pending: boolean;
  error: string | null;
  /** The filter does not validate (e.g. ages the wrong way round): nothing is asked of the server. */
  invalid: boolean;
  fieldErrors: Record<string, string>;
};

/**
 * The count and first patients for the filter being edited: asked LIVE_DEBOUNCE_MS after the
 * last change, and only the answer to the newest filter is shown (an older one arriving late is dropped).
 */
function useLiveCohort(filter: CohortFilter): Live {
  const [state, setState] = useState<Omit<Live, 'invalid' | 'fieldErrors'>>({ count: null, patients: null, pending: true, error: null });
  const latest = useRef(0);
  const parsed = cohortFilterSchema.safeParse(filter);
  const fieldErrors = parsed.success ? {} : Object.fromEntries(parsed.error.issues.map((i) => [String(i.path[0] ?? ''), i.message]));
  const key = JSON.stringify(filter);
  useEffect(() => {
    const call = ++latest.current;
    if (!parsed.success) {
      setState((s) => ({ ...s, pending: false, error: null }));
      return;
    }
    setState((s) => ({ ...s, pending: true }));
    const timer = setTimeout(async () => {
      try {
        const [{ count }, { patients }] = await Promise.all([trpc.cohorts.count.query({ filter }), trpc.cohorts.preview.query({ filter, limit: PREVIEW_SIZE })]);
        if (call === latest.current) setState({ count, patients, pending: false, error: null });
      } catch (error) {
        if (call === latest.current) setState((s) => ({ ...s, pending: false, error: errorMessage(error) }));
      }
    }, LIVE_DEBOUNCE_MS);
    return () => clearTimeout(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);
  return { ...state, invalid: !parsed.success, fieldErrors };
}

function LivePanel({ live }: { live: Live }) {
  return (
    <section class="card section stack cohort-live" aria-live="polite" data-testid="cohort-live">
      <div class="cohort-count">
        <span class="cohort-count-number" data-testid="cohort-live-count" aria-busy={live.pending}>
          {live.invalid ? '—' : live.count == null ? '…' : live.count.toLocaleString()}
        </span>
        <span class="muted">{live.invalid ? 'Fix the highlighted filters to see who matches.' : live.count === 1 ? 'patient matches' : 'patients match'}</span>
        {live.pending && !live.invalid && <span class="spinner" role="status" aria-label="Updating" data-testid="cohort-live-updating" />}
      </div>
      {live.error && (
        <p class="alert alert-error" role="alert" data-testid="cohort-live-error">
          Couldn’t count the patients: {live.error}
        </p>
      )}
      {!live.invalid && live.patients && (live.patients.length === 0 ? (
        <EmptyState title="No patients match these filters" testId="cohort-preview-empty">
          Loosen a filter to include more patients.
        </EmptyState>
      ) : (
        <div class="table-wrap">
        <table class={`table${live.pending ? ' is-stale' : ''}`} data-testid="cohort-preview">
          <caption class="muted">{live.count != null && live.count > live.patients.length ? `The first ${live.patients.length} by name` : 'Everyone who matches'}</caption>
          <thead>
            <tr>
              <th>Name</th>
              <th>Date of birth</th>
              <th>Phone</th>
              <th>Location</th>
            </tr>
          </thead>
          <tbody>
            {live.patients.map((p) => (
              <tr key={p.id} data-testid="cohort-preview-row">
                <td class="cell-strong">
                  <a href={`/directory/patients/${p.id}`}>{[p.firstName, p.lastName].filter(Boolean).join(' ') || 'Unnamed patient'}</a>
                </td>
                <td>{p.dob ? formatCalendarDate(p.dob) : <span class="cell-muted">—</span>}</td>
                <td class="nowrap">{p.phone ? formatPhoneForDisplay(p.phone) : <span class="cell-muted">—</span>}</td>
                <td>{p.location ?? <span class="cell-muted">—</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
        </div>
      ))}
    </section>
  );
}
