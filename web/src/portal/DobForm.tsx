import { useState } from 'preact/hooks';

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** The date of birth as three fields (month list, day, year): quick on any phone, no calendar to scroll back decades. */
export function DobForm({ triesLeft, wrong, onSubmit }: { triesLeft: number; wrong: boolean; onSubmit(dob: string): Promise<void> }) {
  const [month, setMonth] = useState('');
  const [day, setDay] = useState('');
  const [year, setYear] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    const { dob, problem } = dateOf(month, day, year);
    if (!dob) return setProblem(problem);
    setProblem(null);
    setBusy(true);
    await onSubmit(dob);
    setBusy(false);
  };

  return (
    <form class="portal-card" onSubmit={submit} data-testid="portal-verify" noValidate>
      <h1>Confirm it's you</h1>
      <p>To protect your health information, enter your date of birth.</p>
      <fieldset class="portal-dob">
        <legend class="portal-label">Date of birth</legend>
        <label class="portal-field portal-month">
          <span>Month</span>
          <select value={month} onChange={(e) => setMonth(e.currentTarget.value)} data-testid="dob-month" autoComplete="bday-month">
            <option value="">Choose…</option>
            {MONTHS.map((name, i) => (
              <option key={name} value={String(i + 1)}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <label class="portal-field portal-day">
          <span>Day</span>
          <input inputMode="numeric" pattern="[0-9]*" maxLength={2} placeholder="DD" value={day} onInput={(e) => setDay(e.currentTarget.value)} data-testid="dob-day" autoComplete="bday-day" />
        </label>
        <label class="portal-field portal-year">
          <span>Year</span>
          <input inputMode="numeric" pattern="[0-9]*" maxLength={4} placeholder="YYYY" value={year} onInput={(e) => setYear(e.currentTarget.value)} data-testid="dob-year" autoComplete="bday-year" />
        </label>
      </fieldset>
      {wrong && (
        <p class="portal-error" role="alert" data-testid="dob-wrong">
          That date of birth does not match our records. {triesLeft === 1 ? '1 try left' : `${triesLeft} tries left`} before this link is locked for an hour.
        </p>
      )}
      {problem && (
        <p class="portal-error" role="alert">
          {problem}
        </p>
      )}
      <button type="submit" class="portal-button" disabled={busy} data-testid="dob-submit">
        {busy ? 'Checking…' : 'Continue'}
      </button>
    </form>
  );
}

/** YYYY-MM-DD, or what to fix. */
export function dateOf(month: string, day: string, year: string): { dob: string; problem: null } | { dob: null; problem: string } {
  const fix = (problem: string) => ({ dob: null, problem });
  const m = Number(month);
  const d = Number(day.trim());
  const y = Number(year.trim());
  if (!m) return fix('Choose the month you were born.');
  if (!/^\d{4}$/.test(year.trim()) || y < 1900 || y > new Date().getFullYear()) return fix('Enter the year as 4 digits, e.g. 1985.');
  const days = new Date(y, m, 0).getDate();
  if (!/^\d{1,2}$/.test(day.trim()) || d < 1 || d > days) return fix(`Enter a day from 1 to ${days}.`);
  return { dob: `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`, problem: null };
}
