import { useEffect, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { SearchIcon } from '../../../components/icons';
import { Pager } from '../../../components/Pager';
import { EmptyState, ErrorState, Loading } from '../../../components/states';
import { formatCalendarDate } from '../../../lib/dates';
import { useQuery } from '../../../lib/query';
import { type RouterOutputs, trpc } from '../../../lib/trpc';
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
        <PatientsTable data={list.data} stale={list.fetching} onPage={(p) => route(listUrl(q, p))} />
      )}
      {list.error && list.data && <p class="field-error">Couldn't refresh the list: {list.error}</p>}
    </section>
  );
}

function PatientsTable({ data, stale, onPage }: { data: PatientPage; stale: boolean; onPage: (page: number) => void }) {
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
              <tr key={p.id} data-testid="patient-row" data-id={p.id}>
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
