import { useState } from 'preact/hooks';
import { z } from 'zod';
import { AdminOnly } from '../../../components/AdminOnly';
import { ConfirmDialog } from '../../../components/ConfirmDialog';
import { Field, FormError, SubmitButton } from '../../../components/Field';
import { EmptyState, ErrorState, Loading } from '../../../components/states';
import { formatDate } from '../../../lib/dates';
import { useSubmit } from '../../../lib/form';
import { notify } from '../../../lib/notices';
import { useQuery } from '../../../lib/query';
import { isAdmin } from '../../../lib/session';
import { type RouterOutputs, trpc } from '../../../lib/trpc';
import { ApprovedOrigins } from './ApprovedOrigins';
import { ADAPTER_FIELDS, type AdapterField, type AdapterRowSelectors, type AdapterSelectors, type FieldResult, testAdapter, testAdapterRows } from './testAdapter';

type Adapter = RouterOutputs['ehrAdapters']['list'][number];

const PATTERN_HINT = 'Use a pattern like https://ehr.example.com/patients/*';
const schema = z.object({
  name: z.string().trim().min(2, 'Give the adapter a name (at least 2 characters).').max(80),
  urlPattern: z
    .string()
    .trim()
    .min(8, PATTERN_HINT)
    .max(300)
    .regex(/^(https?|\*):\/\/[^/\s]+\/\S*$/, PATTERN_HINT),
});
const FIELDS = ['name', 'urlPattern', ...ADAPTER_FIELDS.map((f) => `selectors.${f.key}`)];

/** Settings → EHR adapters: tell the extension where the patient's details are on another EHR's pages. */
export function EhrAdaptersTab() {
  if (!isAdmin.value) return <AdminOnly what="EHR adapters" />;
  return <EhrAdapters />;
}

function EhrAdapters() {
  const adapters = useQuery(() => trpc.ehrAdapters.list.query(), []);
  const [editing, setEditing] = useState<Adapter | 'new' | null>(null);
  const [deleting, setDeleting] = useState<Adapter | null>(null);

  return (
    <div class="stack-lg" data-testid="ehr-adapters-tab">
      <ApprovedOrigins />
      {editing && (
        <AdapterEditor
          key={editing === 'new' ? 'new' : editing.id}
          adapter={editing === 'new' ? null : editing}
          onDone={async (saved) => {
            setEditing(null);
            if (saved) await adapters.reload();
          }}
        />
      )}
      <section class="card section">
        <div class="section-head">
          <div>
            <h2>EHR adapters{adapters.data && adapters.data.length > 0 && <span class="count">{adapters.data.length}</span>}</h2>
            <p class="muted">
              The CareText extension reads the patient on screen. It has built-in adapters for OpenEMR and for pages that label their fields. For another EHR, describe
              where each field is on its patient page. A published adapter's URL pattern is approved with it. Extensions pick up published adapters on their next sync, within 15 minutes or at sign-in.
            </p>
          </div>
          {!editing && (
            <button type="button" class="btn btn-primary" onClick={() => setEditing('new')} data-testid="new-ehr-adapter">
              New adapter
            </button>
          )}
        </div>
        {adapters.loading ? (
          <Loading />
        ) : !adapters.data ? (
          <ErrorState message={adapters.error ?? ''} onRetry={adapters.reload} />
        ) : adapters.data.length === 0 ? (
          <EmptyState title="No EHR adapters yet" testId="ehr-adapters-empty">
            Add one if your EHR is not OpenEMR and its patient pages do not label their fields.
          </EmptyState>
        ) : (
          <ul class="template-list" data-testid="ehr-adapter-list">
            {adapters.data.map((a) => (
              <li key={a.id} class="template-item" data-testid="ehr-adapter-item" data-name={a.name}>
                <div class="template-text">
                  <p class="cell-strong">
                    {a.name}{' '}
                    <span class={`badge${a.published ? ' badge-soft' : ''}`} data-testid="ehr-adapter-status">
                      {a.published ? 'Published' : 'Draft'}
                    </span>
                  </p>
                  <p class="template-body mono">{a.urlPattern}</p>
                  <p class="muted small">Updated {formatDate(a.updatedAt)}</p>
                </div>
                <div class="button-row">
                  <button type="button" class="btn btn-ghost btn-small" onClick={() => setEditing(a)} data-testid="ehr-adapter-edit">
                    Edit
                  </button>
                  <button type="button" class="btn btn-ghost btn-small btn-danger-text" onClick={() => setDeleting(a)} data-testid="ehr-adapter-delete">
                    Delete
                  </button>
                </div>
              </li>
            ))}
          </ul>
        )}
      </section>
      {deleting && (
        <ConfirmDialog
          title={`Delete “${deleting.name}”?`}
          confirmLabel="Delete adapter"
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            await trpc.ehrAdapters.delete.mutate({ adapterId: deleting.id });
            notify(`Adapter ${deleting.name} deleted.`);
            if (editing !== 'new' && editing?.id === deleting.id) setEditing(null);
            await adapters.reload();
          }}
        >
          <p>Extensions stop using it on their next sync.</p>
        </ConfirmDialog>
      )}
    </div>
  );
}

function AdapterEditor({ adapter, onDone }: { adapter: Adapter | null; onDone: (saved: boolean) => void }) {
  const [name, setName] = useState(adapter?.name ?? '');
  const [urlPattern, setUrlPattern] = useState(adapter?.urlPattern ?? '');
  const [selectors, setSelectors] = useState<AdapterSelectors>(adapter?.selectors ?? {});
  const [rowSelector, setRowSelector] = useState(adapter?.rows?.row ?? '');
  const [rowFields, setRowFields] = useState<AdapterSelectors>(adapter?.rows?.fields ?? {});
  const [published, setPublished] = useState(adapter?.published ?? false);
  const form = useSubmit(FIELDS, { CONFLICT: 'name' });

  async function onSubmit(e: Event) {
    e.preventDefault();
    const input = form.check(schema, { name, urlPattern });
    if (!input) return;
    const clean = (from: AdapterSelectors) => Object.fromEntries(ADAPTER_FIELDS.map(({ key }) => [key, from[key]?.trim() || null])) as Required<AdapterSelectors>;
    const cleaned = clean(selectors);
    const rows = rowSelector.trim() ? { row: rowSelector.trim(), fields: clean(rowFields) } : null;
    if (rows && !Object.values(rows.fields).some(Boolean)) {
      form.setFormError('Give a selector for at least one field of the patient list’s rows.');
      return;
    }
    if (!Object.values(cleaned).some(Boolean) && !rows) {
      form.setFormError('Give a selector for at least one field.');
      return;
    }
    const result = await form.run(() => trpc.ehrAdapters.save.mutate({ adapterId: adapter?.id, ...input, selectors: cleaned, rows, published }));
    if (result.ok) {
      notify(`Adapter ${input.name} saved${published ? ' and published' : ' as a draft'}.`);
      onDone(true);
    }
  }

  return (
    <section class="card section" data-testid="ehr-adapter-editor">
      <div class="section-head">
        <div>
          <h2>{adapter ? 'Edit adapter' : 'New adapter'}</h2>
          <p class="muted">Give a CSS selector for each field the page shows; leave the others empty.</p>
        </div>
      </div>
      <form onSubmit={onSubmit} noValidate>
        <div class="field-grid">
          <Field label="Name" id="adapter-name" error={form.fieldErrors.name}>
            <input id="adapter-name" value={name} placeholder="Clinic EHR" onInput={(e) => setName(e.currentTarget.value)} data-testid="adapter-name" />
          </Field>
          <Field label="URL pattern" id="adapter-url-pattern" error={form.fieldErrors.urlPattern} hint="Patient pages it applies to; * matches anything.">
            <input
              id="adapter-url-pattern"
              class="mono"
              value={urlPattern}
              placeholder="https://ehr.example.com/patients/*"
              onInput={(e) => setUrlPattern(e.currentTarget.value)}
              data-testid="adapter-url-pattern"
            />
          </Field>
        </div>
        <div class="field-grid">
          {ADAPTER_FIELDS.map((f) => (
            <Field key={f.key} label={f.label} id={`adapter-selector-${f.key}`} error={form.fieldErrors[`selectors.${f.key}`]}>
              <input
                id={`adapter-selector-${f.key}`}
                class="mono"
                value={selectors[f.key] ?? ''}
                placeholder={f.example}
                spellcheck={false}
                onInput={(e) => {
                  const value = e.currentTarget.value;
                  setSelectors((s) => ({ ...s, [f.key]: value }));
                }}
                data-testid={`adapter-selector-${f.key}`}
              />
            </Field>
          ))}
        </div>
        <fieldset class="adapter-rows" data-testid="adapter-rows">
          <legend>Patient lists (optional)</legend>
          <p class="muted small">
            Pages that list patients (a day’s schedule, a worklist) let staff text them all from the sidebar. Give a selector that matches each patient’s row, and for each field a selector
            inside the row.
          </p>
          <div class="field-grid">
            <Field label="Row" id="adapter-row-selector">
              <input
                id="adapter-row-selector"
                class="mono"
                value={rowSelector}
                placeholder="#schedule tbody tr"
                spellcheck={false}
                onInput={(e) => setRowSelector(e.currentTarget.value)}
                data-testid="adapter-row-selector"
              />
            </Field>
            {ADAPTER_FIELDS.map((f) => (
              <Field key={f.key} label={`${f.label} in the row`} id={`adapter-row-${f.key}`}>
                <input
                  id={`adapter-row-${f.key}`}
                  class="mono"
                  value={rowFields[f.key] ?? ''}
                  placeholder={ROW_EXAMPLES[f.key]}
                  spellcheck={false}
                  disabled={!rowSelector.trim()}
                  onInput={(e) => {
                    const value = e.currentTarget.value;
                    setRowFields((s) => ({ ...s, [f.key]: value }));
                  }}
                  data-testid={`adapter-row-${f.key}`}
                />
              </Field>
            ))}
          </div>
        </fieldset>
        <label class="check adapter-published">
          <input type="checkbox" checked={published} onChange={(e) => setPublished(e.currentTarget.checked)} data-testid="adapter-published" />
          <span>
            <strong>Published</strong>
            <span class="muted block">Extensions use it from their next sync. Leave unchecked to keep it as a draft while you test it.</span>
          </span>
        </label>
        <FormError message={form.formError} />
        <div class="button-row template-actions">
          <button type="button" class="btn btn-ghost" onClick={() => onDone(false)} disabled={form.pending}>
            Cancel
          </button>
          <SubmitButton pending={form.pending} label="Save adapter" pendingLabel="Saving…" testId="adapter-save" />
        </div>
      </form>
      <AdapterTester selectors={selectors} rows={rowSelector.trim() ? { row: rowSelector, fields: rowFields } : null} />
    </section>
  );
}

/** Runs the selectors on a pasted copy of an EHR page, in the browser: nothing is uploaded. */
function AdapterTester({ selectors, rows }: { selectors: AdapterSelectors; rows: AdapterRowSelectors | null }) {
  const [html, setHtml] = useState('');
  const [results, setResults] = useState<FieldResult[] | null>(null);
  const [rowResults, setRowResults] = useState<ReturnType<typeof testAdapterRows> | null>(null);
  const test = () => {
    setResults(testAdapter(html, selectors));
    setRowResults(rows ? testAdapterRows(html, rows) : null);
  };

  return (
    <div class="adapter-tester" data-testid="adapter-tester">
      <h3>Test against a page</h3>
      <p class="muted small">
        Open a patient in your EHR, view the page source (or copy the page’s HTML from the developer tools) and paste it here. It stays in your browser; scripts in it never run.
      </p>
      <Field label="Page HTML" id="adapter-test-html">
        <textarea id="adapter-test-html" class="mono" rows={6} value={html} spellcheck={false} onInput={(e) => setHtml(e.currentTarget.value)} data-testid="adapter-test-html" />
      </Field>
      <div class="button-row">
        <button type="button" class="btn btn-secondary" disabled={!html.trim()} onClick={test} data-testid="adapter-test">
          Test
        </button>
      </div>
      {results && <TestResults results={results} />}
      {rowResults && <RowResults result={rowResults} />}
    </div>
  );
}

/** Example selectors inside a row (the placeholders of the patient-list fields). */
const ROW_EXAMPLES: Record<AdapterField, string> = { name: 'td:nth-child(2)', firstName: '.given', lastName: '.family', dob: 'td:nth-child(3)', mrn: 'td.mrn', phone: 'td:nth-child(5)', email: '.email' };

/** The rows the row selectors find on the pasted page: text only, never markup. */
export function RowResults({ result }: { result: ReturnType<typeof testAdapterRows> }) {
  if ('invalid' in result) {
    return (
      <p class="cell-danger" data-testid="adapter-test-rows-invalid">
        Invalid row selector: {result.invalid}
      </p>
    );
  }
  return (
    <>
      <p class="cell-strong adapter-rows-count" data-testid="adapter-test-rows-count">
        Patient list: {result.rows.length} {result.rows.length === 1 ? 'row' : 'rows'} found{result.skipped ? ` (${result.skipped} more with no MRN, or a name without DOB or phone: left out)` : ''}
      </p>
      {result.rows.length > 0 && (
        <div class="table-wrap">
          <table class="table" data-testid="adapter-test-rows">
            <thead>
              <tr>
                <th>Name</th>
                <th>Date of birth</th>
                <th>MRN</th>
                <th>Phone</th>
              </tr>
            </thead>
            <tbody>
              {result.rows.map((r, i) => (
                <tr key={i} data-testid="adapter-test-row">
                  <td>{r.name ?? '—'}</td>
                  <td>{r.dob ?? '—'}</td>
                  <td>{r.mrn ?? '—'}</td>
                  <td>{r.phone ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

export function TestResults({ results }: { results: FieldResult[] }) {
  return (
    <div class="table-wrap">
      <table class="table" data-testid="adapter-test-results">
        <thead>
          <tr>
            <th>Field</th>
            <th>Found</th>
          </tr>
        </thead>
        <tbody>
          {results.map((r) => (
            <tr key={r.field} data-testid={`adapter-test-${r.field}`} data-status={r.status}>
              <td class="cell-strong">{ADAPTER_FIELDS.find((f) => f.key === r.field)?.label}</td>
              <ResultCell result={r} />
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Values are rendered as text nodes only: a pasted page cannot inject markup here. */
function ResultCell({ result }: { result: FieldResult }) {
  switch (result.status) {
    case 'found':
      return (
        <td>
          {result.value}
          {result.raw !== result.value && <span class="muted small block">Read as “{result.raw}”</span>}
        </td>
      );
    case 'invalid-value':
      return <td class="cell-danger">{result.error}</td>;
    case 'not-found':
      return <td class="cell-muted">Not found</td>;
    case 'invalid-selector':
      return <td class="cell-danger">Invalid selector</td>;
    case 'skipped':
      return <td class="cell-muted">No selector</td>;
  }
}
