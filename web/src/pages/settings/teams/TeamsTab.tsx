import { teamNameSchema } from '@caretext/shared';
import { useState } from 'preact/hooks';
import { z } from 'zod';
import { ConfirmDialog } from '../../../components/ConfirmDialog';
import { Field, FormError, SubmitButton } from '../../../components/Field';
import { EmptyState, ErrorState, Loading } from '../../../components/states';
import { formValues, useSubmit } from '../../../lib/form';
import { revisions } from '../../../lib/live';
import { notify } from '../../../lib/notices';
import { useAction } from '../../../lib/action';
import { useQuery } from '../../../lib/query';
import { isAdmin } from '../../../lib/session';
import { type RouterOutputs, trpc } from '../../../lib/trpc';

type Team = RouterOutputs['teams']['list'][number];
type Member = RouterOutputs['members']['list'][number];

const nameSchema = z.object({ name: teamNameSchema });

export function TeamsTab() {
  const admin = isAdmin.value;
  const teams = useQuery(() => trpc.teams.list.query(), [revisions.teams.value]);
  const members = useQuery(() => trpc.members.list.query(), [revisions.members.value]);

  return (
    <div class="stack-lg" data-testid="teams-tab">
      {admin && <CreateTeam onCreated={teams.reload} />}
      <section class="card section">
        <div class="section-head">
          <div>
            <h2>Teams{teams.data && <span class="count">{teams.data.length}</span>}</h2>
            <p class="muted">A team shares a phone number and its patient conversations. Only team members see them.</p>
          </div>
        </div>
        {teams.loading ? (
          <Loading />
        ) : teams.error ? (
          <ErrorState message={teams.error} onRetry={teams.reload} />
        ) : !teams.data?.length ? (
          <EmptyState title="No teams yet" testId="teams-empty">
            {admin ? 'Create a team above, for example Front Desk or Nursing.' : 'An admin can create teams.'}
          </EmptyState>
        ) : (
          <ul class="team-list">
            {teams.data.map((team) => (
              <TeamCard key={team.id} team={team} members={members.data ?? []} admin={admin} onChanged={teams.reload} />
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}

function CreateTeam({ onCreated }: { onCreated: () => void }) {
  const form = useSubmit(['name']);
  async function onSubmit(e: Event) {
    e.preventDefault();
    const formEl = e.currentTarget as HTMLFormElement;
    const input = form.check(nameSchema, formValues(formEl));
    if (!input) return;
    const result = await form.run(() => trpc.teams.create.mutate(input));
    if (result.ok) {
      notify(`Team ${result.value.name} created.`);
      formEl.reset();
      onCreated();
    }
  }
  return (
    <section class="card section">
      <div class="section-head">
        <div>
          <h2>Create a team</h2>
        </div>
      </div>
      <form onSubmit={onSubmit} noValidate class="inline-form" data-testid="create-team-form">
        <Field label="Team name" id="team-name" error={form.fieldErrors.name}>
          <input id="team-name" name="name" placeholder="Front Desk" autoComplete="off" />
        </Field>
        <div class="inline-form-submit">
          <SubmitButton pending={form.pending} label="Create team" pendingLabel="Creating…" testId="create-team-submit" />
        </div>
      </form>
      <FormError message={form.formError} />
    </section>
  );
}

function TeamCard({ team, members, admin, onChanged }: { team: Team; members: Member[]; admin: boolean; onChanged: () => Promise<void> }) {
  const [renaming, setRenaming] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const { busy, act } = useAction(onChanged);
  const [adding, setAdding] = useState('');
  const inTeam = new Set(team.members.map((m) => m.id));
  const candidates = members.filter((m) => !inTeam.has(m.user.id));


  return (
    <li class="team-card" data-testid="team-card" data-name={team.name}>
      <div class="team-head">
        {renaming ? (
          <RenameForm team={team} onDone={async (renamed) => {
            setRenaming(false);
            if (renamed) await onChanged();
          }} />
        ) : (
          <h3>
            {team.name}
            {team.isMine && <span class="badge badge-soft">Your team</span>}
          </h3>
        )}
        {admin && !renaming && (
          <div class="button-row">
            <button type="button" class="btn btn-ghost" onClick={() => setRenaming(true)}>
              Rename
            </button>
            <button type="button" class="btn btn-ghost btn-danger-text" onClick={() => setDeleting(true)} data-testid="team-delete">
              Delete
            </button>
          </div>
        )}
      </div>
      {team.members.length ? (
        <ul class="team-members">
          {team.members.map((m) => (
            <li key={m.id} class="member-chip">
              <span>
                {m.name} <span class="cell-muted">{m.email}</span>
              </span>
              {admin && (
                <button
                  type="button"
                  class="chip-remove"
                  aria-label={`Remove ${m.name} from ${team.name}`}
                  disabled={busy}
                  onClick={() => act(() => trpc.teams.removeMember.mutate({ teamId: team.id, userId: m.id }), `${m.name} removed from ${team.name}.`)}
                >
                  ×
                </button>
              )}
            </li>
          ))}
        </ul>
      ) : (
        <p class="cell-muted">No one on this team yet.</p>
      )}
      {admin && candidates.length > 0 && (
        <form
          class="add-member"
          onSubmit={(e) => {
            e.preventDefault();
            const person = candidates.find((c) => c.user.id === adding);
            if (!person) return;
            void act(() => trpc.teams.addMember.mutate({ teamId: team.id, userId: person.user.id }), `${person.user.name} added to ${team.name}.`).then(() => setAdding(''));
          }}
        >
          <label for={`add-${team.id}`} class="visually-hidden">
            Add a member to {team.name}
          </label>
          <select id={`add-${team.id}`} class="select-compact" value={adding} onChange={(e) => setAdding(e.currentTarget.value)}>
            <option value="">Add a member…</option>
            {candidates.map((c) => (
              <option key={c.user.id} value={c.user.id}>
                {c.user.name}
              </option>
            ))}
          </select>
          <button type="submit" class="btn btn-secondary" disabled={!adding || busy}>
            Add
          </button>
        </form>
      )}
      {deleting && (
        <ConfirmDialog
          title={`Delete ${team.name}?`}
          confirmLabel="Delete team"
          onClose={() => setDeleting(false)}
          onConfirm={async () => {
            await trpc.teams.delete.mutate({ teamId: team.id });
            notify(`Team ${team.name} deleted.`);
            await onChanged();
          }}
        >
          <p>Its {team.members.length} member{team.members.length === 1 ? '' : 's'} stay in the organization. The team itself goes away.</p>
        </ConfirmDialog>
      )}
    </li>
  );
}

function RenameForm({ team, onDone }: { team: Team; onDone: (renamed: boolean) => void }) {
  const form = useSubmit(['name']);
  async function onSubmit(e: Event) {
    e.preventDefault();
    const input = form.check(nameSchema, formValues(e.currentTarget as HTMLFormElement));
    if (!input) return;
    const result = await form.run(() => trpc.teams.rename.mutate({ teamId: team.id, name: input.name }));
    if (result.ok) {
      notify(`Team renamed to ${input.name}.`);
      onDone(true);
    }
  }
  return (
    <form onSubmit={onSubmit} noValidate class="rename-form">
      <div class="rename-row">
        <label for={`rename-${team.id}`} class="visually-hidden">
          New name for {team.name}
        </label>
        <input id={`rename-${team.id}`} name="name" defaultValue={team.name} autoFocus />
        <SubmitButton pending={form.pending} label="Save" pendingLabel="Saving…" />
        <button type="button" class="btn btn-ghost" onClick={() => onDone(false)} disabled={form.pending}>
          Cancel
        </button>
      </div>
      {(form.fieldErrors.name || form.formError) && <p class="field-error">{form.fieldErrors.name ?? form.formError}</p>}
    </form>
  );
}
