import { useState } from 'preact/hooks';
import { EmptyState, ErrorState, Loading } from '../../../components/states';
import { formatRelative } from '../../../lib/dates';
import { errorMessage } from '../../../lib/errors';
import { revisions } from '../../../lib/live';
import { notify } from '../../../lib/notices';
import { useQuery } from '../../../lib/query';
import { trpc } from '../../../lib/trpc';

export function JoinRequests({ onDecided }: { onDecided: () => void }) {
  const requests = useQuery(() => trpc.members.joinRequests.query(), [revisions.members.value]);
  const [deciding, setDeciding] = useState<string | null>(null);

  async function decide(id: string, name: string, decision: 'approve' | 'reject') {
    setDeciding(id);
    try {
      await trpc.members.decideJoinRequest.mutate({ requestId: id, decision, role: 'member' });
      notify(decision === 'approve' ? `${name} joined as a member.` : `${name}'s request was declined.`);
      await requests.reload();
      onDecided();
    } catch (error) {
      notify(errorMessage(error), 'error');
    } finally {
      setDeciding(null);
    }
  }

  return (
    <section class="card section" data-testid="join-requests">
      <div class="section-head">
        <div>
          <h2>Join requests</h2>
          <p class="muted">People who used your join code. Approved people join as members.</p>
        </div>
      </div>
      {requests.loading ? (
        <Loading />
      ) : requests.error ? (
        <ErrorState message={requests.error} onRetry={requests.reload} />
      ) : !requests.data?.length ? (
        <EmptyState title="No one is waiting to join" testId="join-requests-empty" />
      ) : (
        <ul class="request-cards">
          {requests.data.map((r) => (
            <li key={r.id} class="request-card" data-testid="join-request" data-email={r.user.email}>
              <div>
                <div class="cell-strong">{r.user.name}</div>
                <div class="cell-muted small">
                  {r.user.email} · asked {formatRelative(r.createdAt)}
                </div>
                {r.message && <blockquote class="request-message">{r.message}</blockquote>}
              </div>
              <div class="button-row">
                <button type="button" class="btn btn-secondary" disabled={deciding === r.id} onClick={() => decide(r.id, r.user.name, 'reject')}>
                  Reject
                </button>
                <button type="button" class="btn btn-primary" disabled={deciding === r.id} onClick={() => decide(r.id, r.user.name, 'approve')} data-testid="join-approve">
                  Approve
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
