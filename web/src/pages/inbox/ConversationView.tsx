import { useEffect, useRef, useState } from 'preact/hooks';
import { ErrorState, Loading } from '../../components/states';
import { formatCalendarDate, formatDate } from '../../lib/dates';
import { errorMessage } from '../../lib/errors';
import { useQuery } from '../../lib/query';
import { type RouterOutputs, trpc } from '../../lib/trpc';
import { patientLabel } from '../directory/patients/display';
import { StatusBadges } from '../directory/patients/StatusBadges';
import { Composer } from './Composer';
import { initials } from './ConversationList';
import { Thread } from './Thread';

export type OpenConversation = RouterOutputs['conversations']['get'];

/** The right side of the inbox: who, the thread, and the composer. */
export function ConversationView({ conversationId, revision, onRead }: { conversationId: string; revision: number; onRead: () => void }) {
  // After a send the thread refetches at once, not only when the live event arrives.
  const [sent, setSent] = useState(0);
  const convo = useQuery(() => trpc.conversations.get.query({ conversationId }), [conversationId, revision, sent]);
  const simulator = useQuery(() => trpc.simulator.enabled.query(), []);

  // A person has the thread open, so its replies are read: say so (reading it alone changes
  // nothing on the server), then let the list drop its unread badge. Also when a reply arrives
  // while it is open.
  const marking = useRef(false);
  useEffect(() => {
    if (!convo.data?.unreadCount || marking.current) return;
    marking.current = true;
    trpc.conversations.markRead
      .mutate({ conversationId })
      .then(onRead, () => undefined)
      .finally(() => (marking.current = false));
  }, [convo.data]);

  if (convo.loading) return <Loading label="Opening the conversation…" />;
  if (!convo.data) return <ErrorState title="Couldn't open this conversation" message={convo.error ?? 'Conversation not found.'} onRetry={convo.reload} />;
  const c = convo.data;
  const name = c.patient ? patientLabel(c.patient) : 'Unknown sender';

  return (
    <div class="conversation" data-testid="conversation">
      <header class="conversation-head">
        <span class="avatar" aria-hidden="true">
          {initials(name)}
        </span>
        <div class="conversation-who">
          <h2 data-testid="conversation-patient">
            {c.patient ? (
              <a href={`/directory/patients/${c.patient.id}`} data-testid="conversation-patient-link">
                {name}
              </a>
            ) : (
              name
            )}
            {c.patient && <StatusBadges patient={{ optedOut: c.optOut !== null, blocked: c.patient.blocked, phoneLineType: c.patient.phoneLineType }} />}
          </h2>
          <p class="muted small">
            {[c.patient?.phoneDisplay, c.patient?.dob && `Born ${formatCalendarDate(c.patient.dob)}`, c.patient?.mrn && `MRN ${c.patient.mrn}`].filter(Boolean).join(' · ')}
          </p>
        </div>
        <div class="conversation-line" data-testid="conversation-line">
          <span class="badge badge-soft">SMS</span>
          <span class="small">
            {c.team.name}
            {c.number && ` · ${c.number.display}`}
          </span>
        </div>
      </header>

      {c.optOut && (
        <div class="alert alert-warning conversation-banner" role="status" data-testid="opted-out-banner">
          <strong>Opted out.</strong> {name} replied {c.optOut.keyword} on {formatDate(c.optOut.at)}, so no SMS goes to them from {c.number?.display ?? 'this number'}. They can
          text START to opt back in.
        </div>
      )}

      <Thread messages={c.messages} />
      {simulator.data && c.patient?.phone && c.number?.active && <ReplyAsPatient conversationId={c.id} name={name} />}
      <Composer conversation={c} onSent={() => setSent((n) => n + 1)} />
    </div>
  );
}

/** Demo mode: what the patient's phone would text back, sent through the simulated carrier. */
function ReplyAsPatient({ conversationId, name }: { conversationId: string; name: string }) {
  const [body, setBody] = useState('');
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function onSubmit(e: Event) {
    e.preventDefault();
    if (!body.trim() || pending) return;
    setPending(true);
    setError(null);
    try {
      // No refetch here: the reply arrives like any patient's text, through the live inbox.
      await trpc.simulator.replyAsPatient.mutate({ conversationId, body });
      setBody('');
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setPending(false);
    }
  }

  return (
    <form class="reply-as-patient" onSubmit={onSubmit} data-testid="reply-as-patient">
      <label for="reply-as-patient-input" class="small">
        <span class="badge badge-pending">Demo</span> Reply as {name}
      </label>
      <input
        id="reply-as-patient-input"
        value={body}
        placeholder="e.g. C, STOP, or Running late"
        autoComplete="off"
        onInput={(e) => setBody(e.currentTarget.value)}
        data-testid="reply-as-patient-input"
      />
      <button type="submit" class="btn btn-secondary btn-small" disabled={pending || !body.trim()} data-testid="reply-as-patient-send">
        {pending ? 'Replying…' : 'Reply'}
      </button>
      {error && <p class="field-error">{error}</p>}
    </form>
  );
}
