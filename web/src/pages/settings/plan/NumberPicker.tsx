import { teamNameSchema } from '@caretext/shared';
import { useEffect, useState } from 'preact/hooks';
import { z } from 'zod';
import { Field, FormError } from '../../../components/Field';
import { Loading } from '../../../components/states';
import { useSubmit } from '../../../lib/form';
import { revisions } from '../../../lib/live';
import { notify } from '../../../lib/notices';
import { useQuery } from '../../../lib/query';
import { signedIn } from '../../../lib/session';
import { type RouterOutputs, trpc } from '../../../lib/trpc';

type Available = RouterOutputs['numbers']['search'][number];

const NEW_TEAM = '__new__';
const searchSchema = z.object({ areaCode: z.string().regex(/^[2-9]\d{2}$/, 'Enter a 3-digit area code, like 415.') });
const newTeamSchema = z.object({ name: teamNameSchema });

export function placeOf(n: { locality: string | null; region: string | null }): string {
  return [n.locality, n.region].filter(Boolean).join(', ');
}

/**
 * Settings → Plan → Select a phone number: "Pick your phone number" by area code, choose the
 * team it belongs to, confirm. Buying is idempotent, so a retry after a lost answer is safe.
 */
export function NumberPicker({ onDone }: { onDone: () => void }) {
  const [areaCode, setAreaCode] = useState('');
  const [results, setResults] = useState<{ areaCode: string; numbers: Available[] } | null>(null);
  const [selected, setSelected] = useState<Available | null>(null);
  const searcher = useSubmit(['areaCode']);

  async function onSearch(e: Event) {
    e.preventDefault();
    const input = searcher.check(searchSchema, { areaCode: areaCode.trim() });
    if (!input) return;
    const result = await searcher.run(() => trpc.numbers.search.query(input));
    if (result.ok) {
      setResults({ areaCode: input.areaCode, numbers: result.value });
      setSelected(null);
    }
  }

  return (
    <div class="number-picker" data-testid="number-picker">
      <div class="number-picker-head">
        <h3>Pick your phone number</h3>
        <p class="muted">A local area code helps patients recognize your number. Enter yours or browse the suggestions.</p>
      </div>
      <form class="inline-form" onSubmit={onSearch} noValidate>
        <Field label="Area code" id="area-code" error={searcher.fieldErrors.areaCode}>
          <input
            id="area-code"
            class="input-short"
            inputMode="numeric"
            maxLength={3}
            placeholder="415"
            autoComplete="off"
            value={areaCode}
            onInput={(e) => setAreaCode(e.currentTarget.value.replace(/\D/g, '').slice(0, 3))}
            data-testid="area-code"
          />
        </Field>
        <div class="inline-form-submit">
          <button type="submit" class="btn btn-secondary" disabled={searcher.pending} data-testid="search-numbers">
            {searcher.pending ? 'Searching…' : 'Show numbers'}
          </button>
        </div>
      </form>
      <FormError message={searcher.formError} />

      {results &&
        (results.numbers.length === 0 ? (
          <p class="state state-empty" data-testid="no-numbers">
            No numbers are available in area code {results.areaCode} right now. Try a nearby area code.
          </p>
        ) : (
          <ul class="number-results" aria-label={`Numbers in area code ${results.areaCode}`} data-testid="number-results">
            {results.numbers.map((n) => {
              const isSelected = selected?.phoneNumber === n.phoneNumber;
              return (
                <li key={n.phoneNumber} class={`number-row${isSelected ? ' selected' : ''}`} data-testid="number-option" data-number={n.phoneNumber}>
                  <span class="number-display">{n.display}</span>
                  <span class="muted">{placeOf(n)}</span>
                  <button type="button" class={`btn btn-small ${isSelected ? 'btn-primary' : 'btn-secondary'}`} aria-pressed={isSelected} onClick={() => setSelected(n)} data-testid="select-number">
                    {isSelected ? 'Selected' : 'Select'}
                  </button>
                </li>
              );
            })}
          </ul>
        ))}

      {selected && <ConfirmNumber number={selected} onDone={onDone} />}
      {!selected && (
        <div class="button-row number-picker-cancel">
          <button type="button" class="btn btn-ghost" onClick={onDone}>
            Cancel
          </button>
        </div>
      )}
    </div>
  );
}

/** Which team the number belongs to (making one if there is none), and the purchase itself. */
function ConfirmNumber({ number, onDone }: { number: Available; onDone: () => void }) {
  const teams = useQuery(() => trpc.teams.list.query(), [revisions.teams.value]);
  const [teamId, setTeamId] = useState('');
  const [teamName, setTeamName] = useState('Front Desk');
  const [joinTeam, setJoinTeam] = useState(true);
  const buyer = useSubmit(['name']);

  useEffect(() => {
    if (teams.data && !teamId) setTeamId(teams.data[0]?.id ?? NEW_TEAM);
  }, [teams.data]);

  if (teams.loading) return <Loading />;
  const team = teams.data?.find((t) => t.id === teamId);
  const isMember = team?.isMine ?? false;

  async function confirm() {
    let id = teamId;
    if (id === NEW_TEAM && !buyer.check(newTeamSchema, { name: teamName.trim() })) return;
    const result = await buyer.run(async () => {
      if (id === NEW_TEAM) {
        const created = await trpc.teams.create.mutate({ name: teamName.trim() });
        // A retry after a later step fails uses the team just made rather than making another.
        id = created.id;
        setTeamId(created.id);
        await teams.reload();
      }
      const bought = await trpc.numbers.buy.mutate({ phoneNumber: number.phoneNumber, teamId: id, locality: number.locality, region: number.region });
      if (joinTeam && !isMember) await trpc.teams.addMember.mutate({ teamId: id, userId: signedIn.value!.user.id });
      return bought;
    });
    if (result.ok) {
      notify(`${result.value.display} is yours. It belongs to the team ${result.value.team.name}.`);
      onDone();
    }
  }

  const teamLabel = teamId === NEW_TEAM ? teamName.trim() || 'the new team' : (team?.name ?? 'the team');
  return (
    <div class="number-confirm" data-testid="number-confirm">
      <div class="field-grid">
        <Field label="Team for this number" id="number-team" hint="Its members send from this number and see every conversation on it.">
          <select id="number-team" value={teamId} onChange={(e) => setTeamId(e.currentTarget.value)} data-testid="number-team">
            {(teams.data ?? []).map((t) => (
              <option key={t.id} value={t.id}>
                {t.name} ({t.members.length} member{t.members.length === 1 ? '' : 's'})
              </option>
            ))}
            <option value={NEW_TEAM}>New team…</option>
          </select>
        </Field>
        {teamId === NEW_TEAM && (
          <Field label="New team's name" id="new-team-name" error={buyer.fieldErrors.name}>
            <input id="new-team-name" value={teamName} onInput={(e) => setTeamName(e.currentTarget.value)} data-testid="new-team-name" />
          </Field>
        )}
      </div>
      {!isMember && (
        <label class="check">
          <input type="checkbox" checked={joinTeam} onChange={(e) => setJoinTeam(e.currentTarget.checked)} data-testid="join-number-team" />
          <span>
            Add me to {teamLabel}
            <span class="muted block">So you can text from this number and see its conversations. Add coworkers under Directory → Phone numbers.</span>
          </span>
        </label>
      )}
      <FormError message={buyer.formError} />
      <div class="button-row number-confirm-actions">
        <button type="button" class="btn btn-ghost" onClick={onDone} disabled={buyer.pending}>
          Cancel
        </button>
        <button type="button" class="btn btn-primary" onClick={confirm} disabled={buyer.pending || !teamId} data-testid="confirm-number">
          {buyer.pending ? 'Getting your number…' : `Confirm ${number.display}`}
        </button>
      </div>
    </div>
  );
}
