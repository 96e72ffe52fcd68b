import { EmptyState, ErrorState, Loading } from '../../../components/states';
import { formatDate } from '../../../lib/dates';
import { useQuery } from '../../../lib/query';
import { trpc } from '../../../lib/trpc';
import { Thread } from '../../inbox/Thread';

/** The patient's texts with the caller's teams, and which numbers they opted out of. */
export function MessageHistory({ patientId }: { patientId: string }) {
  const history = useQuery(() => trpc.conversations.forPatient.query({ patientId }), [patientId]);
  const data = history.data;

  return (
    <section class="card section" data-testid="patient-messages">
      <div class="section-head">
        <div>
          <h2>Messages{data && data.messages.length > 0 && <span class="count">{data.messages.length}</span>}</h2>
          <p class="muted">Texts between this patient and your teams, oldest first.</p>
        </div>
        {data && data.conversations.length > 0 && (
          <div class="button-row">
            {data.conversations.slice(0, 2).map((c, i) => (
              <a key={c.id} href={`/inbox/${c.id}`} class="btn btn-secondary btn-small" data-testid="open-in-inbox">
                {data.conversations.length > 1 ? `Open conversation ${i + 1}` : 'Open in inbox'}
              </a>
            ))}
          </div>
        )}
      </div>
      {history.loading ? (
        <Loading label="Loading messages…" />
      ) : !data ? (
        <ErrorState message={history.error ?? ''} onRetry={history.reload} />
      ) : (
        <>
          {data.optOuts.length > 0 && (
            <ul class="alert alert-warning opt-out-list" data-testid="patient-opt-outs">
              {data.optOuts.map((o) => (
                <li key={`${o.number}-${o.at.toString()}`}>
                  <strong>Opted out of SMS from {o.number}</strong>: replied {o.keyword} on {formatDate(o.at)}. Texting START opts back in.
                </li>
              ))}
            </ul>
          )}
          {data.messages.length === 0 ? (
            <EmptyState title="No messages yet" testId="messages-empty">
              Use Text patient above to start an SMS conversation from your team's number.
            </EmptyState>
          ) : (
            <Thread messages={data.messages} compact />
          )}
          {data.hiddenConversations > 0 && (
            <p class="muted small history-hidden" data-testid="hidden-conversations">
              {data.hiddenConversations} conversation{data.hiddenConversations === 1 ? ' is' : 's are'} on teams you're not on, so not shown here.
            </p>
          )}
        </>
      )}
    </section>
  );
}
