import { useState } from 'preact/hooks';
import { ErrorState, Loading } from '../../../components/states';
import { revisions } from '../../../lib/live';
import { useQuery } from '../../../lib/query';
import { trpc } from '../../../lib/trpc';
import { NumberPicker, placeOf } from './NumberPicker';
import { PortIn } from './PortIn';

/** On the SMS plan: the organization's numbers, the Select a phone number action, and port-in. */
export function PhoneNumbers() {
  const numbers = useQuery(() => trpc.numbers.list.query(), [revisions.teams.value]);
  const [picking, setPicking] = useState(false);
  const none = numbers.data?.length === 0;

  return (
    <>
      <section class="card section" data-testid="phone-number-section">
        <div class="section-head">
          <div>
            <h2>Phone number</h2>
            <p class="muted">Patients get your texts from this number. A local area code helps them recognize it.</p>
          </div>
          {!picking && (
            <button type="button" class={`btn ${none ? 'btn-primary' : 'btn-secondary'}`} onClick={() => setPicking(true)} data-testid="select-phone-number">
              {none ? 'Select a phone number' : 'Add another number'}
            </button>
          )}
        </div>
        {numbers.loading ? (
          <Loading />
        ) : !numbers.data ? (
          <ErrorState message={numbers.error ?? ''} onRetry={numbers.reload} />
        ) : numbers.data.length > 0 ? (
          <ul class="owned-numbers" data-testid="owned-numbers">
            {numbers.data.map((n) => (
              <li key={n.id} data-testid="owned-number" data-e164={n.e164}>
                <span class="number-display">{n.display}</span>
                <span class="muted">{placeOf(n)}</span>
                <span class="small">
                  Team <strong>{n.team.name}</strong> · {n.team.members.length} member{n.team.members.length === 1 ? '' : 's'}
                </span>
                <a href="/directory/numbers" class="small">
                  Manage
                </a>
              </li>
            ))}
          </ul>
        ) : (
          !picking && <p class="muted small">No number yet. Select one to start texting patients.</p>
        )}
        {picking && (
          <NumberPicker
            onDone={() => {
              setPicking(false);
              void numbers.reload();
            }}
          />
        )}
      </section>
      <PortIn />
    </>
  );
}
