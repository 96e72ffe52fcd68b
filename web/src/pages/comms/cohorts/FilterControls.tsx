/** Toggle chips for a multi-choice filter (locations, providers, tags, months): any chosen value matches. */
export function ChoiceChips({ label, testId, values, selected, onChange, labelOf = (v) => v, none }: {
  label: string;
  testId: string;
  values: readonly string[];
  selected: readonly string[];
  onChange: (next: string[]) => void;
  labelOf?: (value: string) => string;
  none?: string;
}) {
  // A saved value no patient has any more still shows (and can be turned off).
  const shown = [...values, ...selected.filter((s) => !values.includes(s))];
  const toggle = (v: string) => onChange(selected.includes(v) ? selected.filter((s) => s !== v) : [...selected, v]);
  return (
    <div class="field" role="group" aria-labelledby={`${testId}-label`} data-testid={testId}>
      <span class="field-label" id={`${testId}-label`}>
        {label}
        {selected.length > 0 && <span class="muted"> · {selected.length} chosen</span>}
      </span>
      {shown.length === 0 ? (
        <p class="field-hint">{none}</p>
      ) : (
        <div class="choice-chips">
          {shown.map((v) => (
            <button key={v} type="button" class={`choice-chip${selected.includes(v) ? ' on' : ''}`} aria-pressed={selected.includes(v)} onClick={() => toggle(v)} data-value={v}>
              {labelOf(v)}
            </button>
          ))}
        </div>
      )}
    </div>
  );
}

/** Any / Yes / No for a yes-or-no field of the patient. */
export function TriState({ label, testId, value, onChange }: { label: string; testId: string; value: boolean | null; onChange: (v: boolean | null) => void }) {
  return (
    <label class="cohort-inline">
      {label}
      <select value={value == null ? 'any' : value ? 'yes' : 'no'} onChange={(e) => onChange(e.currentTarget.value === 'any' ? null : e.currentTarget.value === 'yes')} data-testid={testId}>
        <option value="any">Any</option>
        <option value="yes">Yes</option>
        <option value="no">No</option>
      </select>
    </label>
  );
}
