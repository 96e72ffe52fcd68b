import { useState } from 'preact/hooks';
import { ConfirmDialog } from '../../../components/ConfirmDialog';
import { EmptyState, ErrorState, Loading } from '../../../components/states';
import { revisions } from '../../../lib/live';
import { notify } from '../../../lib/notices';
import { useAction } from '../../../lib/action';
import { useQuery } from '../../../lib/query';
import { currentOrg, isAdmin } from '../../../lib/session';
import { type RouterOutputs, trpc } from '../../../lib/trpc';
import { placeOf } from '../../settings/plan/NumberPicker';
import { PhoneLogExport } from './PhoneLogExport';

type PhoneNumber = RouterOutputs['numbers']['list'][number];
type Team = RouterOutputs['teams']['list'][number];
type Member = RouterOutputs['members']['list'][number];

/** Directory → Phone numbers: each number's team (who sends from it and sees its conversations). */
export function PhoneNumbersPage() {
  const admin = isAdmin.value;
  const numbers = useQuery(() => trpc.numbers.list.query(), [revisions.teams.value]);
  const teams = useQuery(() => (admin ? trpc.teams.list.query() : Promise.resolve([])), [revisions.teams.value, admin]);
  const members = useQuery(() => (admin ? trpc.members.list.query() : Promise.resolve([])), [revisions.members.value, admin]);
  const [exportingAll, setExportingAll] = useState(false);
  // Admins export every number's log; a member, the numbers of their own teams.
  const canExportSome = admin || Boolean(numbers.data?.some((n) => n.isMine));

  return (
    <section class="card section" data-testid="phone-numbers">
      <div class="section-head">
        <div>
          <h2>Phone numbers{numbers.data && numbers.data.length > 0 && <span class="count">{numbers.data.length}</span>}</h2>
          <p class="muted">
            Each number belongs to one team. Its members text patients from it and see every conversation on it; removing someone takes that away at once.
            {!admin && ' Only admins can change numbers and their teams; you can export the phone logs of your own teams’ numbers.'}
          </p>
        </div>
        <div class="button-row">
          {canExportSome && numbers.data && numbers.data.length > 0 && (
            <button type="button" class="btn btn-secondary" onClick={() => setExportingAll(!exportingAll)} aria-expanded={exportingAll} data-testid="export-all-phone-logs">
              {admin ? 'Export all phone logs' : 'Export my teams’ phone logs'}
            </button>
          )}
          {admin && (
            <a href="/settings/plan" class="btn btn-secondary">
              {numbers.data?.length ? 'Add a number' : 'Select a phone number'}
            </a>
          )}
        </div>
      </div>
      {exportingAll && <PhoneLogExport numberId={null} onClose={() => setExportingAll(false)} />}
      {numbers.loading ? (
        <Loading label="Loading phone numbers…" />
      ) : !numbers.data ? (
        <ErrorState message={numbers.error ?? ''} onRetry={numbers.reload} />
      ) : numbers.data.length === 0 ? (
        <EmptyState title="No phone numbers yet" testId="numbers-empty">
          {admin
            ? currentOrg.value?.smsEnabled
              ? 'Pick one under Settings → Plan → Select a phone number.'
              : 'Upgrade to the SMS plan under Settings → Plan, then select a phone number.'
            : 'An admin picks the organization’s number under Settings → Plan.'}
        </EmptyState>
      ) : (
        <ul class="team-list">
          {numbers.data.map((n) => (
            <NumberCard key={n.id} number={n} admin={admin} teams={teams.data ?? []} members={members.data ?? []} onChanged={numbers.reload} />
          ))}
        </ul>
      )}
    </section>
  );
}

function NumberCard({ number: n, admin, teams, members, onChanged }: { number: PhoneNumber; admin: boolean; teams: Team[]; members: Member[]; onChanged: () => Promise<void> }) {
  const { busy, act } = useAction(onChanged);
  const [adding, setAdding] = useState('');
  const [moveTo, setMoveTo] = useState<Team | null>(null);
  const [rate, setRate] = useState(String(n.messagesPerSecond));
  const [exporting, setExporting] = useState(false);
  const onTeam = new Set(n.team.members.map((m) => m.id));
  const candidates = members.filter((m) => !onTeam.has(m.user.id));
  const rateValue = Number(rate);
  const rateValid = Number.isInteger(rateValue) && rateValue >= 1 && rateValue <= 100;


  return (
    <li class="team-card number-card" data-testid="number-card" data-e164={n.e164}>
      <div class="team-head">
        <h3>
          <span class="number-display">{n.display}</span>
          {placeOf(n) && <span class="muted number-place">{placeOf(n)}</span>}
          {n.isMine && <span class="badge badge-soft">Your team</span>}
        </h3>
        {(admin || n.isMine) && (
          <button type="button" class="btn btn-secondary btn-small" onClick={() => setExporting(!exporting)} aria-expanded={exporting} data-testid="export-phone-logs">
            Export phone logs
          </button>
        )}
      </div>
      {exporting && <PhoneLogExport numberId={n.id} onClose={() => setExporting(false)} />}

      <dl class="number-facts">
        <div>
          <dt>Team</dt>
          <dd>
            {admin ? (
              <select
                class="select-compact"
                aria-label={`Team for ${n.display}`}
                value={n.team.id}
                disabled={busy}
                onChange={(e) => {
                  const target = teams.find((t) => t.id === e.currentTarget.value);
                  e.currentTarget.value = n.team.id;
                  if (target) setMoveTo(target);
                }}
                data-testid="number-team-select"
              >
                {teams.map((t) => (
                  <option key={t.id} value={t.id}>
                    {t.name}
                  </option>
                ))}
              </select>
            ) : (
              <strong data-testid="number-team">{n.team.name}</strong>
            )}
          </dd>
        </div>
        <div>
          <dt>Send rate</dt>
          <dd>
            {admin ? (
              <form
                class="rate-form"
                onSubmit={(e) => {
                  e.preventDefault();
                  if (!rateValid) return;
                  void act(() => trpc.numbers.update.mutate({ numberId: n.id, messagesPerSecond: rateValue }), `${n.display} now sends up to ${rateValue} message${rateValue === 1 ? '' : 's'} per second.`);
                }}
              >
                <input
                  type="number"
                  min={1}
                  max={100}
                  step={1}
                  class="rate-input"
                  aria-label={`Messages per second for ${n.display}`}
                  value={rate}
                  onInput={(e) => setRate(e.currentTarget.value)}
                  data-testid="number-rate"
                />
                <span class="muted small">messages / second</span>
                {rate !== String(n.messagesPerSecond) && (
                  <button type="submit" class="btn btn-secondary btn-small" disabled={busy || !rateValid} data-testid="number-rate-save">
                    Save
                  </button>
                )}
                {!rateValid && <span class="field-error">1 to 100</span>}
              </form>
            ) : (
              <span>
                {n.messagesPerSecond} message{n.messagesPerSecond === 1 ? '' : 's'} / second
              </span>
            )}
          </dd>
        </div>
      </dl>

      <p class="number-members-label">Team members</p>
      {n.team.members.length ? (
        <ul class="team-members" data-testid="number-members">
          {n.team.members.map((m) => (
            <li key={m.id} class="member-chip" data-testid="number-member" data-email={m.email}>
              <span>
                {m.name} <span class="cell-muted">{m.email}</span>
              </span>
              {admin && (
                <button
                  type="button"
                  class="chip-remove"
                  aria-label={`Remove ${m.name} from ${n.team.name}`}
                  disabled={busy}
                  onClick={() => act(() => trpc.teams.removeMember.mutate({ teamId: n.team.id, userId: m.id }), `${m.name} removed from ${n.team.name}. They no longer see its conversations.`)}
                  data-testid="number-member-remove"
                >
                  ×
                </button>
              )}
            </li>
          ))}
        </ul>
      ) : (
        <p class="cell-muted small number-no-members">No one is on this team, so no one can text from this number yet.</p>
      )}
      {admin && candidates.length > 0 && (
        <form
          class="add-member"
          onSubmit={(e) => {
            e.preventDefault();
            const person = candidates.find((c) => c.user.id === adding);
            if (!person) return;
            void act(() => trpc.teams.addMember.mutate({ teamId: n.team.id, userId: person.user.id }), `${person.user.name} added to ${n.team.name}.`).then(() => setAdding(''));
          }}
        >
          <label for={`add-${n.id}`} class="visually-hidden">
            Add a member to {n.team.name}
          </label>
          <select id={`add-${n.id}`} class="select-compact" value={adding} onChange={(e) => setAdding(e.currentTarget.value)} data-testid="number-member-add-select">
            <option value="">Add a member…</option>
            {candidates.map((c) => (
              <option key={c.user.id} value={c.user.id}>
                {c.user.name}
              </option>
            ))}
          </select>
          <button type="submit" class="btn btn-secondary" disabled={!adding || busy} data-testid="number-member-add">
            Add
          </button>
        </form>
      )}

      {moveTo && (
        <ConfirmDialog
          title={`Move ${n.display} to ${moveTo.name}?`}
          confirmLabel="Move number"
          tone="primary"
          onClose={() => setMoveTo(null)}
          onConfirm={async () => {
            await trpc.numbers.update.mutate({ numberId: n.id, teamId: moveTo.id });
            notify(`${n.display} now belongs to ${moveTo.name}.`);
            await onChanged();
          }}
        >
          <p>
            {moveTo.name}'s {moveTo.members.length} member{moveTo.members.length === 1 ? '' : 's'} will text from this number. {n.team.name} no longer sends from it.
          </p>
        </ConfirmDialog>
      )}
    </li>
  );
}
