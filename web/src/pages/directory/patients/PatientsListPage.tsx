import { useEffect, useRef, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { SearchIcon } from '../../../components/icons';
import { Pager } from '../../../components/Pager';
import { EmptyState, ErrorState, Loading } from '../../../components/states';
import { formatCalendarDate } from '../../../lib/dates';
import { useQuery } from '../../../lib/query';
import { type RouterOutputs, trpc } from '../../../lib/trpc';
import { MAX_URL_PATIENTS } from '../../comms/blasts/BlastWizardPage';
import { BULK_TEXT_MAX, blastWizardUrl, BulkTextDialog, type BulkTextSent } from './BulkTextDialog';
import { displayPhone, patientLabel } from './display';
import { StatusBadges } from './StatusBadges';

type PatientPage = RouterOutputs['patients']['list'];

const PAGE_SIZE = 25;
const SEARCH_DELAY_MS = 300;

/** The search and the page live in the address, so Back from a profile returns to the same list. */
function listUrl(query: string, page: number): string {
  const params = new URLSearchParams();
  if (query.trim()) params.set('q', query);
  if (page > 1) params.set('page', String(page));
  const search = params.toString();
  return `/directory/patients${search ? `?${search}` : ''}`;
}

/** Directory → Patients. */
export function PatientsListPage() {
  const { query, route } = useLocation();
  const q = query.q ?? '';
  const page = Math.max(1, Math.floor(Number(query.page)) || 1);
  const [text, setText] = useState(q);

  // Typing waits for a pause before searching; Back/Forward bring their own search along.
  useEffect(() => setText(q), [q]);
  useEffect(() => {
    if (text === q) return;
    const timer = setTimeout(() => route(listUrl(text, 1), true), SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [text]);

  const list = useQuery(() => trpc.patients.list.query({ query: q.trim() || undefined, page, pageSize: PAGE_SIZE }), [q, page]);
  const searching = q.trim() !== '';
  // Bulk Text: the ticked patients, kept across pages and searches until sent or cleared.
  const [selected, setSelected] = useState<string[]>([]);
  const [composing, setComposing] = useState(false);
  const [sent, setSent] = useState<BulkTextSent | null>(null);

  return (
    <section class="card section" data-testid="patients-list">
      <div class="section-head">
        <div>
          <h2>
            Patients{list.data && !searching && list.data.total > 0 && <span class="count">{list.data.total.toLocaleString()}</span>}
          </h2>
          <p class="muted">Everyone your organization can message. Search by name, phone number in any format, MRN or date of birth.</p>
        </div>
        <div class="button-row">
          <a href="/directory/patients/import" class="btn btn-secondary" data-testid="import-csv">
            Import CSV
          </a>
          <a href="/directory/patients/new" class="btn btn-primary" data-testid="create-patient-button">
            Create new
          </a>
        </div>
      </div>

      {sent && (
        <div class="alert alert-success bulk-text-sent" role="status" data-testid="bulk-text-sent">
          <span>
            Bulk text “{sent.name}” is on its way to {sent.patients.toLocaleString()} selected patient{sent.patients === 1 ? '' : 's'} (opted-out, blocked and landline numbers are skipped).{' '}
            <a href={`/comms/blasts/${sent.blastId}`} data-testid="bulk-text-results">
              View results
            </a>
          </span>
          <button type="button" class="notice-close" aria-label="Dismiss" onClick={() => setSent(null)}>
            ×
          </button>
        </div>
      )}

      {selected.length > 0 && <SelectionBar count={selected.length} ids={selected} onSend={() => setComposing(true)} onClear={() => setSelected([])} />}

      {composing && (
        <BulkTextDialog
          patientIds={selected}
          onClose={() => setComposing(false)}
          onSent={(result) => {
            setComposing(false);
            setSelected([]);
            setSent(result);
          }}
        />
      )}

      {(searching || (list.data?.total ?? 0) > 0) && (
        <div class="search-bar" role="search">
          <label for="patient-search" class="visually-hidden">
            Search patients
          </label>
          <span class="search-icon">
            <SearchIcon />
          </span>
          <input
            id="patient-search"
            type="search"
            value={text}
            placeholder="Name, phone, MRN or date of birth"
            autoComplete="off"
            spellcheck={false}
            onInput={(e) => setText(e.currentTarget.value)}
            data-testid="patient-search"
          />
          {list.fetching && list.data && <span class="spinner search-spinner" aria-label="Searching" />}
        </div>
      )}

      {list.loading ? (
        <Loading label="Loading patients…" />
      ) : !list.data ? (
        <ErrorState message={list.error ?? ''} onRetry={list.reload} />
      ) : list.data.total === 0 ? (
        searching ? (
          <EmptyState title={`No patients match “${q.trim()}”`} testId="patients-no-match">
            Check the spelling, or search by phone number (any format), MRN, or date of birth as MM/DD/YYYY or YYYY-MM-DD.
          </EmptyState>
        ) : (
          <NoPatientsYet />
        )
      ) : (
        <PatientsTable data={list.data} stale={list.fetching} onPage={(p) => route(listUrl(q, p))} selected={selected} onSelect={setSelected} />
      )}
      {list.error && list.data && <p class="field-error">Couldn't refresh the list: {list.error}</p>}
    </section>
  );
}

/** "N selected · Send SMS · Clear": a quick text up to BULK_TEXT_MAX, the blast wizard beyond (up to its link's limit). */
function SelectionBar({ count, ids, onSend, onClear }: { count: number; ids: string[]; onSend: () => void; onClear: () => void }) {
  return (
    <div class="selection-bar" role="region" aria-label="Selected patients" data-testid="selection-bar">
      <strong data-testid="selection-count">{count.toLocaleString()} selected</strong>
      {count <= BULK_TEXT_MAX ? (
        <button type="button" class="btn btn-primary btn-small" onClick={onSend} data-testid="bulk-text">
          Send SMS
        </button>
      ) : count <= MAX_URL_PATIENTS ? (
        <>
          <a href={blastWizardUrl(ids)} class="btn btn-primary btn-small" data-testid="bulk-text-open-blasts">
            Open in Blasts
          </a>
          <span class="muted small">A quick text takes up to {BULK_TEXT_MAX} patients; the blast wizard takes these.</span>
        </>
      ) : (
        <span class="muted small" data-testid="selection-too-many">
          Select at most {MAX_URL_PATIENTS} patients to text them, or build a cohort under Comms → Cohorts for a larger audience.
        </span>
      )}
      <button type="button" class="btn btn-ghost btn-small" onClick={onClear} data-testid="selection-clear">
        Clear
      </button>
    </div>
  );
}

function PatientsTable({ data, stale, onPage, selected, onSelect }: { data: PatientPage; stale: boolean; onPage: (page: number) => void; selected: string[]; onSelect: (ids: string[]) => void }) {
  const pageIds = data.patients.map((p) => p.id);
  const onPageSelected = pageIds.filter((id) => selected.includes(id)).length;
  const all = pageIds.length > 0 && onPageSelected === pageIds.length;
  const header = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (header.current) header.current.indeterminate = onPageSelected > 0 && !all;
  });
  const toggle = (id: string, on: boolean) => onSelect(on ? [...selected, id] : selected.filter((x) => x !== id));
  const togglePage = (on: boolean) => onSelect(on ? [...selected, ...pageIds.filter((id) => !selected.includes(id))] : selected.filter((id) => !pageIds.includes(id)));
  if (!data.patients.length) {
    return (
      <EmptyState title="This page is empty" testId="patients-page-empty">
        <button type="button" class="btn btn-secondary" onClick={() => onPage(1)}>
          Back to the first page
        </button>
      </EmptyState>
    );
  }
  return (
    <>
      <div class={`table-wrap${stale ? ' is-stale' : ''}`}>
        <table class="table patients-table" data-testid="patients-table">
          <thead>
            <tr>
              <th class="cell-check">
                <input ref={header} type="checkbox" checked={all} onChange={(e) => togglePage(e.currentTarget.checked)} aria-label="Select all patients on this page" data-testid="select-page" />
              </th>
              <th>Name</th>
              <th>Date of birth</th>
              <th>MRN</th>
              <th>Phone</th>
              <th>Email</th>
              <th>Status</th>
            </tr>
          </thead>
          <tbody>
            {data.patients.map((p) => (
              <tr key={p.id} data-testid="patient-row" data-id={p.id} class={selected.includes(p.id) ? 'is-selected' : undefined}>
                <td class="cell-check">
                  <input type="checkbox" checked={selected.includes(p.id)} onChange={(e) => toggle(p.id, e.currentTarget.checked)} aria-label={`Select ${patientLabel(p)}`} data-testid="patient-select" />
                </td>
                <td class="cell-strong">
                  <a href={`/directory/patients/${p.id}`} class="patient-link" data-testid="patient-link">
                    {patientLabel(p)}
                  </a>
                </td>
                <td class="nowrap">{p.dob ? formatCalendarDate(p.dob) : <Blank />}</td>
                <td class="mono small">{p.mrn ?? <Blank />}</td>
                <td class="nowrap" data-testid="patient-phone">
                  {p.phone ? displayPhone(p.phone) : <Blank />}
                </td>
                <td class="cell-muted cell-email" title={p.email ?? undefined}>
                  {p.email ?? <Blank />}
                </td>
                <td>
                  <StatusBadges patient={p} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Pager page={data.page} pageSize={data.pageSize} total={data.total} noun={['patient', 'patients']} onPage={onPage} disabled={stale} testId="patients-pager" />
    </>
  );
}

const Blank = () => <span class="cell-muted">—</span>;

/** The first visit: the three ways patients get into the directory. */
function NoPatientsYet() {
  return (
    <div class="state state-empty onboarding" data-testid="patients-empty">
      <p class="state-title">No patients yet</p>
      <p class="state-body">Add patients one of three ways:</p>
      <ol class="ways">
        <li>
          <strong>Create new.</strong> Fill in any combination of phone number, name, date of birth, MRN and email.{' '}
          <a href="/directory/patients/new">Create a patient</a>
        </li>
        <li>
          <strong>Import a CSV.</strong> For large lists: a spreadsheet with a header row (phone, mrn, first_name, last_name, dob, email). You see a
          report before anything is saved. <a href="/directory/patients/import">Import CSV</a>
        </li>
        <li>
          <strong>From a conversation.</strong> Once messaging is set up, typing a phone number or email in a new conversation creates the patient
          on the fly.
        </li>
      </ol>
    </div>
  );
}
