import { useState } from 'preact/hooks';
import type { PageList } from '../ehr/registry';
import type { Failure } from '../protocol';
import type { ListMatchView, ListUnmatchedReason } from '../views';
import { ask } from './bridge';
import { byPerson } from './person-action';

const REASONS: Record<ListUnmatchedReason, string> = {
  no_patient: 'Not in CareText',
  several_candidates: 'Several CareText patients fit',
  dob_mismatch: 'Date of birth differs from CareText’s',
  different_mrn: 'MRN differs from CareText’s',
};

type State = { step: 'idle' } | { step: 'matching' } | { step: 'done'; value: ListMatchView } | { step: 'error'; error: Failure };

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/**
 * "Patients on this page": the list the EHR page shows (a day's schedule, a worklist). On a
 * person's click the rows are matched on the server by the single-patient rules; unmatched rows
 * are listed with the reason (never guessed), and the blast wizard opens in the web app with the
 * matched patients as recipients. Names are the page's, as text.
 */
export function PageListPanel({ list }: { list: PageList }) {
  const [state, setState] = useState<State>({ step: 'idle' });
  const n = list.rows.length;

  const match = async (e: MouseEvent) => {
    if (!byPerson(e) || state.step === 'matching') return;
    setState({ step: 'matching' });
    const answer = await ask({ type: 'patients.matchList', rows: list.rows });
    setState(answer.ok ? { step: 'done', value: answer.value } : { step: 'error', error: answer.error });
  };

  const openWizard = (e: MouseEvent, url: string) => {
    if (!byPerson(e)) return;
    window.open(url, '_blank', 'noopener');
  };

  const done = state.step === 'done' ? state.value : null;
  const unmatched = done?.rows.filter((r) => r.status === 'unmatched') ?? [];
  return (
    <section class="card" data-testid="page-list">
      <p class="eyebrow" data-testid="page-list-title">
        Patients on this page ({n})
      </p>
      {!done && (
        <button type="button" class="btn primary block" onClick={(e) => void match(e)} disabled={state.step === 'matching'} data-testid="text-list">
          {state.step === 'matching' ? 'Matching patients…' : `Text these ${plural(n, 'patient')}`}
        </button>
      )}
      {state.step === 'error' && (
        <p class="note error small" role="alert" data-testid="page-list-error">
          {state.error.message}
        </p>
      )}
      {done && (
        <>
          <p data-testid="page-list-matched">
            <strong>{done.matchedIds.length}</strong> of {n} matched to CareText patients.
          </p>
          {unmatched.length > 0 && (
            <div class="page-line" data-testid="page-list-unmatched">
              <p class="small">{plural(unmatched.length, 'row')} not matched (left out; open their charts to check):</p>
              <ul class="list-rows">
                {unmatched.map((r, i) => (
                  <li key={i} data-testid="unmatched-row">
                    <span class="list-name">{r.name}</span> <span class="muted small">{r.status === 'unmatched' ? REASONS[r.reason] : ''}</span>
                  </li>
                ))}
              </ul>
            </div>
          )}
          {done.blastUrl ? (
            <button type="button" class="btn primary block" onClick={(e) => openWizard(e, done.blastUrl!)} data-testid="open-blast-wizard">
              Open blast wizard ({plural(done.matchedIds.length, 'patient')})
            </button>
          ) : (
            <p class="note warn small" data-testid="page-list-none">
              No row on this page matches a CareText patient.
            </p>
          )}
        </>
      )}
    </section>
  );
}
