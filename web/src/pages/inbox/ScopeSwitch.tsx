import type { RouterOutputs } from '../../lib/trpc';

type Team = RouterOutputs['teams']['list'][number];
type PhoneNumber = RouterOutputs['numbers']['list'][number];

/** "All my teams" or one team (with its number): the docs' switch between the full inbox and one number's. */
export function ScopeSwitch({ teams, numbers, value, onChange }: { teams: Team[]; numbers: PhoneNumber[]; value: string | null; onChange: (teamId: string | null) => void }) {
  if (teams.length === 0 && !value) return null;
  return (
    <div class="inbox-scope">
      <label for="inbox-scope" class="visually-hidden">
        Show conversations of
      </label>
      <select id="inbox-scope" value={value ?? ''} onChange={(e) => onChange(e.currentTarget.value || null)} data-testid="inbox-scope">
        <option value="">All my teams</option>
        {teams.map((t) => {
          const number = numbers.find((n) => n.team.id === t.id);
          return (
            <option key={t.id} value={t.id}>
              {number ? `${t.name} · ${number.display}` : t.name}
            </option>
          );
        })}
      </select>
    </div>
  );
}
