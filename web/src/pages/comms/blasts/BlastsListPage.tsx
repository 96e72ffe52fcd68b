import { EmptyState, ErrorState, Loading } from '../../../components/states';
import { formatDateTime } from '../../../lib/dates';
import { useQuery } from '../../../lib/query';
import { trpc } from '../../../lib/trpc';

export const BLAST_STATUS_LABELS: Record<string, string> = { draft: 'Draft', scheduled: 'Scheduled', sending: 'Sending', completed: 'Completed', canceled: 'Canceled' };

/** Comms → Blasts: the blasts of my teams, newest first. */
export function BlastsListPage() {
  const blasts = useQuery(() => trpc.blasts.list.query(), []);
  const numbers = useQuery(() => trpc.numbers.list.query(), []);
  const numberOf = (id: string) => numbers.data?.find((n) => n.id === id);
  return (
    <section class="card section" data-testid="blasts-list">
      <div class="section-head">
        <div>
          <h2>Blasts{blasts.data && blasts.data.length > 0 && <span class="count">{blasts.data.length}</span>}</h2>
          <p class="muted">A blast sends one SMS to every patient of one or more cohorts, from your team's number. You see the blasts of the teams you are on.</p>
        </div>
        <a href="/comms/blasts/new" class="btn btn-primary" data-testid="new-blast">
          New Blast
        </a>
      </div>
      {blasts.loading ? (
        <Loading />
      ) : !blasts.data ? (
        <ErrorState message={blasts.error ?? ''} onRetry={blasts.reload} />
      ) : blasts.data.length === 0 ? (
        <EmptyState title="No blasts yet" testId="blasts-empty">
          <p>Send a reminder or an announcement to a whole cohort at once: each patient gets their own personalized text.</p>
          <a href="/comms/blasts/new" class="btn btn-primary" data-testid="new-blast-empty">
            New Blast
          </a>
        </EmptyState>
      ) : (
        <div class="table-wrap">
          <table class="table" data-testid="blasts-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Team · number</th>
                <th>Created</th>
                <th>Status</th>
                <th class="num">Sent / total</th>
                <th class="actions-col" />
              </tr>
            </thead>
            <tbody>
              {blasts.data.map((b) => {
                const n = numberOf(b.phoneNumberId);
                return (
                  <tr key={b.id} data-testid="blast-row" data-name={b.name}>
                    <td class="cell-strong">
                      <a href={`/comms/blasts/${b.id}`}>{b.name}</a>
                      {b.marketing && <span class="badge badge-soft">Marketing</span>}
                    </td>
                    <td class="cell-muted">{n ? `${n.team.name} · ${n.display}` : '—'}</td>
                    <td class="cell-muted">{formatDateTime(b.createdAt)}</td>
                    <td>
                      <span class={`badge badge-status blast-status-${b.status}`} data-testid="blast-status">
                        {BLAST_STATUS_LABELS[b.status] ?? b.status}
                      </span>
                    </td>
                    <td class="num" data-testid="blast-sent-total">
                      {b.sent.toLocaleString()} / {b.total.toLocaleString()}
                    </td>
                    <td class="actions-col">
                      <a href={`/comms/blasts/new?from=${b.id}`} class="btn btn-ghost btn-small" data-testid="blast-duplicate">
                        Duplicate
                      </a>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
