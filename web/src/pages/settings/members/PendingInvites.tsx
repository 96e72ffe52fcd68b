import { useState } from 'preact/hooks';
import { EmptyState, ErrorState, Loading } from '../../../components/states';
import { formatRelative } from '../../../lib/dates';
import { errorMessage } from '../../../lib/errors';
import { revisions } from '../../../lib/live';
import { notify } from '../../../lib/notices';
import { useQuery } from '../../../lib/query';
import { trpc } from '../../../lib/trpc';
import { roleLabel } from './roles';

export function PendingInvites() {
  const invites = useQuery(() => trpc.members.invites.query(), [revisions.members.value]);
  const [revoking, setRevoking] = useState<string | null>(null);

  async function revoke(id: string, email: string) {
    setRevoking(id);
    try {
      await trpc.members.revokeInvite.mutate({ inviteId: id });
      notify(`The invite for ${email} no longer works.`);
      await invites.reload();
    } catch (error) {
      notify(errorMessage(error), 'error');
    } finally {
      setRevoking(null);
    }
  }

  return (
    <section class="card section" data-testid="pending-invites">
      <div class="section-head">
        <div>
          <h2>Pending invites</h2>
          <p class="muted">Invites that have not been accepted yet.</p>
        </div>
      </div>
      {invites.loading ? (
        <Loading />
      ) : invites.error ? (
        <ErrorState message={invites.error} onRetry={invites.reload} />
      ) : !invites.data?.length ? (
        <EmptyState title="No pending invites" testId="invites-empty" />
      ) : (
        <div class="table-wrap">
          <table class="table">
            <thead>
              <tr>
                <th>Email</th>
                <th>Role</th>
                <th>Invited by</th>
                <th>Expires</th>
                <th class="actions-col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {invites.data.map((i) => (
                <tr key={i.id} data-testid="invite-row" data-email={i.email}>
                  <td class="cell-strong">{i.email}</td>
                  <td>{roleLabel(i.role)}</td>
                  <td class="cell-muted">{i.invitedBy}</td>
                  <td class={i.expired ? 'cell-danger' : 'cell-muted'}>{i.expired ? 'Expired' : formatRelative(i.expiresAt)}</td>
                  <td class="actions-col">
                    <button type="button" class="btn btn-ghost btn-danger-text" disabled={revoking === i.id} onClick={() => revoke(i.id, i.email)}>
                      {revoking === i.id ? 'Revoking…' : 'Revoke'}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
