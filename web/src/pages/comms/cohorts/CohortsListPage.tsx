import { EmptyState, ErrorState, Loading } from '../../../components/states';
import { formatDate } from '../../../lib/dates';
import { useQuery } from '../../../lib/query';
import { isAdmin } from '../../../lib/session';
import { trpc } from '../../../lib/trpc';

/** Comms → Cohorts: saved audiences with how many patients each matches right now. */
export function CohortsListPage() {
  const admin = isAdmin.value;
  const cohorts = useQuery(() => trpc.cohorts.list.query(), []);
  return (
    <section class="card section" data-testid="cohorts-list">
      <div class="section-head">
        <div>
          <h2>Cohorts{cohorts.data && cohorts.data.length > 0 && <span class="count">{cohorts.data.length}</span>}</h2>
          <p class="muted">
            A cohort is a saved group of patients defined by filters (location, provider, tags, age, consent…). Counts are live: a cohort always means the patients who match today.
            {!admin && ' Admins create and edit cohorts; you can open one to see who is in it.'}
          </p>
        </div>
        {admin && (
          <a href="/comms/cohorts/new" class="btn btn-primary" data-testid="new-cohort">
            New cohort
          </a>
        )}
      </div>
      {cohorts.loading ? (
        <Loading />
      ) : !cohorts.data ? (
        <ErrorState message={cohorts.error ?? ''} onRetry={cohorts.reload} />
      ) : cohorts.data.length === 0 ? (
        <EmptyState title="No cohorts yet" testId="cohorts-empty">
          {admin ? 'Create one to define an audience for blasts, e.g. “Adults due for a flu shot” or “Spanish-speaking patients at Downtown”.' : 'An admin of your organization can create one.'}
        </EmptyState>
      ) : (
        <div class="table-wrap">
        <table class="table" data-testid="cohorts-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Filters</th>
              <th class="num">Patients</th>
              <th>Updated</th>
            </tr>
          </thead>
          <tbody>
            {cohorts.data.map((c) => (
              <tr key={c.id} data-testid="cohort-row" data-name={c.name}>
                <td class="cell-strong">
                  <a href={`/comms/cohorts/${c.id}`}>{c.name}</a>
                </td>
                <td class="cell-wrap muted">{c.description}</td>
                <td class="num" data-testid="cohort-count">
                  {c.patientCount.toLocaleString()}
                </td>
                <td class="cell-muted">{formatDate(c.updatedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        </div>
      )}
    </section>
  );
}
