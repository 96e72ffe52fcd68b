import { useState } from 'preact/hooks';
import { Pager } from '../../../components/Pager';
import { EmptyState, ErrorState, Loading } from '../../../components/states';
import { useQuery } from '../../../lib/query';
import { trpc } from '../../../lib/trpc';

const PAGE_SIZE = 20;
type Filter = 'all' | 'error' | 'warning';
const FILTERS: { id: Filter; label: string }[] = [
  { id: 'all', label: 'All' },
  { id: 'error', label: 'Rejected' },
  { id: 'warning', label: 'Warnings' },
];

/** Every rejected or suspicious row with its line number and reason, a page at a time. */
export function IssuesTable({ jobId, only }: { jobId: string; only?: 'error' }) {
  const [filter, setFilter] = useState<Filter>(only ?? 'all');
  const [page, setPage] = useState(1);
  const issues = useQuery(
    () => trpc.imports.issues.query({ jobId, severity: filter === 'all' ? undefined : filter, page, pageSize: PAGE_SIZE }),
    [jobId, filter, page],
  );
  const choose = (next: Filter) => {
    setFilter(next);
    setPage(1);
  };

  return (
    <section class="card section" data-testid="import-issues">
      <div class="section-head">
        <div>
          <h2>{only === 'error' ? 'Rejected rows' : 'Rejected and flagged rows'}</h2>
          <p class="muted">
            {only === 'error'
              ? 'These rows were not imported. Fix them in the file (the report CSV lists them with their problem) and import it again.'
              : 'Line numbers count the header as line 1, as a spreadsheet does. Rejected rows are not imported; flagged rows are, with a warning.'}
          </p>
        </div>
        {!only && (
          <div class="segmented" role="group" aria-label="Show">
            {FILTERS.map((f) => (
              <button key={f.id} type="button" class={filter === f.id ? 'active' : ''} aria-pressed={filter === f.id} onClick={() => choose(f.id)} data-testid={`issues-filter-${f.id}`}>
                {f.label}
              </button>
            ))}
          </div>
        )}
      </div>
      {issues.loading ? (
        <Loading />
      ) : !issues.data ? (
        <ErrorState message={issues.error ?? ''} onRetry={issues.reload} />
      ) : issues.data.total === 0 ? (
        <EmptyState title={filter === 'all' ? 'Every row is fine' : filter === 'error' ? 'No rejected rows' : 'No warnings'} testId="issues-empty">
          {filter === 'all' ? 'No row was rejected or flagged.' : null}
        </EmptyState>
      ) : (
        <>
          <div class={`table-wrap${issues.fetching ? ' is-stale' : ''}`}>
            <table class="table issues-table" data-testid="issues-table">
              <thead>
                <tr>
                  <th class="col-line">Line</th>
                  <th class="col-severity">Severity</th>
                  <th class="col-field">Field</th>
                  <th>Problem</th>
                </tr>
              </thead>
              <tbody>
                {issues.data.issues.map((issue, i) => (
                  <tr key={`${issue.line}-${i}`} data-testid="issue-row" data-line={issue.line} data-severity={issue.severity}>
                    <td class="mono">{issue.line}</td>
                    <td>
                      <span class={`badge ${issue.severity === 'error' ? 'badge-rejected' : 'badge-pending'}`}>{issue.severity === 'error' ? 'Rejected' : 'Warning'}</span>
                    </td>
                    <td>{issue.field ? <code>{issue.field}</code> : <span class="cell-muted">row</span>}</td>
                    <td class="cell-wrap" data-testid="issue-message">
                      {issue.message}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager page={page} pageSize={PAGE_SIZE} total={issues.data.total} noun={['issue', 'issues']} onPage={setPage} disabled={issues.fetching} testId="issues-pager" />
        </>
      )}
    </section>
  );
}
