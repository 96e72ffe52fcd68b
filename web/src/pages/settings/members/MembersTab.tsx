import { useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { ConfirmDialog } from '../../../components/ConfirmDialog';
import { EmptyState, ErrorState, Loading } from '../../../components/states';
import { errorMessage } from '../../../lib/errors';
import { revisions } from '../../../lib/live';
import { notify } from '../../../lib/notices';
import { useQuery } from '../../../lib/query';
import { currentOrg, isAdmin, leaving, refreshSession, welcomeNotice } from '../../../lib/session';
import { type RouterOutputs, trpc } from '../../../lib/trpc';
import { InviteForm } from './InviteForm';
import { JoinCode } from './JoinCode';
import { JoinRequests } from './JoinRequests';
import { PendingInvites } from './PendingInvites';
import { roleLabel, rolesAssignableBy } from './roles';

export type Member = RouterOutputs['members']['list'][number];

export function MembersTab() {
  const admin = isAdmin.value;
  const members = useQuery(() => trpc.members.list.query(), [revisions.members.value]);

  return (
    <div class="stack-lg" data-testid="members-tab">
      {admin && <InviteForm onInvited={members.reload} />}
      <section class="card section">
        <div class="section-head">
          <div>
            <h2>
              Members{members.data && <span class="count">{members.data.length}</span>}
            </h2>
            <p class="muted">Everyone in {currentOrg.value?.name}. Admins manage members, teams, policies and the plan.</p>
          </div>
        </div>
        {members.loading ? (
          <Loading />
        ) : members.error ? (
          <ErrorState message={members.error} onRetry={members.reload} />
        ) : !members.data?.length ? (
          <EmptyState title="No members yet" />
        ) : (
          <MembersTable members={members.data} admin={admin} onChanged={members.reload} />
        )}
      </section>
      {admin && <JoinRequests onDecided={members.reload} />}
      {admin && <PendingInvites />}
      {admin && <JoinCode />}
      <LeaveOrganization />
    </div>
  );
}

function MembersTable({ members, admin, onChanged }: { members: Member[]; admin: boolean; onChanged: () => Promise<void> }) {
  const myRole = currentOrg.value?.myRole ?? 'member';
  const [removing, setRemoving] = useState<Member | null>(null);
  const [changing, setChanging] = useState<string | null>(null);

  async function changeRole(member: Member, role: 'owner' | 'admin' | 'member') {
    setChanging(member.id);
    try {
      await trpc.members.changeRole.mutate({ membershipId: member.id, role });
      notify(`${member.user.name} is now ${role === 'admin' ? 'an admin' : `a ${role}`}.`);
    } catch (error) {
      notify(errorMessage(error), 'error');
    } finally {
      await onChanged();
      setChanging(null);
    }
  }

  return (
    <div class="table-wrap">
      <table class="table" data-testid="members-table">
        <thead>
          <tr>
            <th>Name</th>
            <th>Email</th>
            <th>Role</th>
            <th>Teams</th>
            {admin && (
              <th class="actions-col">
                <span class="visually-hidden">Actions</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>
          {members.map((m) => {
            const options = rolesAssignableBy(myRole, m.role);
            const editable = admin && !m.isMe && options.length > 1;
            return (
              <tr key={m.id} data-testid="member-row" data-email={m.user.email}>
                <td class="cell-strong">
                  {m.user.name}
                  {m.isMe && <span class="badge badge-soft">You</span>}
                </td>
                <td class="cell-muted">{m.user.email}</td>
                <td>
                  {editable ? (
                    <select
                      class="select-compact"
                      aria-label={`Role of ${m.user.name}`}
                      value={m.role}
                      disabled={changing === m.id}
                      onChange={(e) => changeRole(m, e.currentTarget.value as 'owner' | 'admin' | 'member')}
                      data-testid="member-role-select"
                    >
                      {options.map((r) => (
                        <option key={r} value={r}>
                          {roleLabel(r)}
                        </option>
                      ))}
                    </select>
                  ) : (
                    <span class={`badge badge-role-${m.role}`} data-testid="member-role">
                      {roleLabel(m.role)}
                    </span>
                  )}
                </td>
                <td>
                  {m.teams.length ? (
                    <span class="chips">
                      {m.teams.map((t) => (
                        <span key={t.id} class="chip">
                          {t.name}
                        </span>
                      ))}
                    </span>
                  ) : (
                    <span class="cell-muted">No teams</span>
                  )}
                </td>
                {admin && (
                  <td class="actions-col">
                    {!m.isMe && (m.role !== 'owner' || myRole === 'owner') && (
                      <button type="button" class="btn btn-ghost btn-danger-text" onClick={() => setRemoving(m)} data-testid="member-remove">
                        Remove
                      </button>
                    )}
                  </td>
                )}
              </tr>
            );
          })}
        </tbody>
      </table>
      {removing && (
        <ConfirmDialog
          title={`Remove ${removing.user.name}?`}
          confirmLabel="Remove member"
          onClose={() => setRemoving(null)}
          onConfirm={async () => {
            await trpc.members.remove.mutate({ membershipId: removing.id });
            notify(`${removing.user.name} was removed.`);
            await onChanged();
          }}
        >
          <p>
            {removing.user.name} ({removing.user.email}) loses access to {currentOrg.value?.name} right away, and is taken off every
            team. You can invite them again later.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}

function LeaveOrganization() {
  const org = currentOrg.value!;
  const { route } = useLocation();
  const [confirming, setConfirming] = useState(false);
  return (
    <section class="card section section-danger">
      <div class="section-head">
        <div>
          <h2>Leave organization</h2>
          <p class="muted">You lose access to {org.name} and its conversations. An admin can invite you back.</p>
        </div>
        <button type="button" class="btn btn-danger-outline" onClick={() => setConfirming(true)} data-testid="leave-org">
          Leave {org.name}
        </button>
      </div>
      {confirming && (
        <ConfirmDialog
          title={`Leave ${org.name}?`}
          confirmLabel="Leave organization"
          onClose={() => setConfirming(false)}
          onConfirm={async () => {
            leaving.current = true;
            try {
              await trpc.members.leave.mutate();
              welcomeNotice.value = `You left ${org.name}.`;
              await refreshSession();
              route('/welcome');
            } finally {
              leaving.current = false;
            }
          }}
        >
          <p>You will no longer see {org.name}'s members, teams or conversations.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
