import { formatPhoneForDisplay, resendNotice } from '@caretext/shared';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { EmptyState, ErrorState, Loading } from '../../components/states';
import { formatCalendarDate, formatDate, formatSendTime } from '../../lib/dates';
import { notify } from '../../lib/notices';
import { errorMessage } from '../../lib/errors';
import { useQuery } from '../../lib/query';
import { type RouterOutputs, trpc } from '../../lib/trpc';
import { patientLabel } from '../directory/patients/display';
import { StatusBadges } from '../directory/patients/StatusBadges';
import { Composer } from './Composer';
import { ExternalBadge, hasExternal, initials, internalChatName } from './ConversationList';
import { signedIn } from '../../lib/session';
import { applyToThread, changedConversations, coalesce } from './liveUpdates';
import { PeopleMenu } from './PeopleMenu';
import { Thread } from './Thread';
import { type InboxFeed, useInboxFeed } from './useInboxEvents';

export type OpenConversation = RouterOutputs['conversations']['get'];

/** The right side of the inbox: who, the thread, and the composer. */
export function ConversationView({ conversationId, revision, feed }: { conversationId: string; revision: number; feed: InboxFeed }) {
  // Read (and audited) when a person opens it, when the live stream reconnected and may have
  // missed something, or when a blast wrote into it (its event names conversations, not
  // messages); otherwise live events patch it: new messages, statuses, the opt-out banner.
  const convo = useQuery(() => trpc.conversations.get.query({ conversationId }), [conversationId, revision]);
  const simulator = useQuery(() => trpc.simulator.enabled.query(), []);
  // A blast wrote into this conversation (among many; its messages are not in the event): read
  // the thread again, once per burst of events.
  const reread = useMemo(() => coalesce(() => convo.reload()), [convo.reload]);
  /** The caller left this internal chat, or was removed from it: it is gone for them. */
  const [gone, setGone] = useState<null | 'left' | 'removed'>(null);
  useEffect(() => setGone(null), [conversationId]);
  useInboxFeed(feed, (event) => {
    if (event.type === 'conversations.changed') return void (changedConversations(event)!.has(conversationId) && reread());
    if (event.conversationId !== conversationId) return;
    const change = event.type === 'conversation.updated' ? event.conversation : null;
    if (change?.removedUserIds?.includes(signedIn.value?.user.id ?? '')) setGone((was) => was ?? 'removed');
    // Someone was added or removed: the header's people are read again (the system line comes as a message).
    else if (change?.participantsChanged) void convo.reload();
    else convo.patch((open) => applyToThread(open, event));
  });
  // A sent message arrives through the live stream like any other; without one, read it here.
  const onSent = () => {
    if (!feed.connected) void convo.reload();
  };

  // A person has the thread open, so its replies are read: say so (reading it alone changes
  // nothing on the server). The list drops its badge from the event that follows. Also when a
  // reply arrives while it is open.
  const marking = useRef(false);
  useEffect(() => {
    if (!convo.data?.unreadCount || marking.current) return;
    marking.current = true;
    trpc.conversations.markRead
      .mutate({ conversationId })
      .catch(() => undefined)
      .finally(() => (marking.current = false));
  }, [convo.data]);

  if (gone)
    return (
      <EmptyState title={gone === 'left' ? 'You left this chat' : 'You were removed from this chat'} testId="conversation-gone">
        You no longer see its messages or files. Someone in it can add you again.
      </EmptyState>
    );
  if (convo.loading) return <Loading label="Opening the conversation…" />;
  if (!convo.data) return <ErrorState title="Couldn't open this conversation" message={convo.error ?? 'Conversation not found.'} onRetry={convo.reload} />;
  const c = convo.data;
  if (c.kind === 'internal' && c.participants)
    return <InternalConversation conversation={c} participants={c.participants} onSent={onSent} onStale={() => void convo.reload()} onLeft={() => setGone('left')} />;
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
          <span class="badge badge-soft" data-testid="conversation-kind">
            {c.kind === 'secure' ? 'Secure Chat' : 'SMS'}
          </span>
          <span class="small">
            {c.team.name}
            {c.number && ` · ${c.number.display}`}
          </span>
          {c.patient && (c.kind === 'secure' || c.messages.some((m) => m.channel === 'secure')) && (
            <>
              <RepliesSwitch conversationId={c.id} enabled={c.repliesEnabled} onChange={(repliesEnabled) => convo.patch((open) => ({ ...open, repliesEnabled }))} />
              <ResendLink conversationId={c.id} />
            </>
          )}
        </div>
      </header>

      {c.optOut && (
        <div class="alert alert-warning conversation-banner" role="status" data-testid="opted-out-banner">
          <strong>Opted out.</strong> {name} replied {c.optOut.keyword} on {formatDate(c.optOut.at)}, so no SMS goes to them from {c.number?.display ?? 'this number'}. They can
          text START to opt back in.
        </div>
      )}

      <Thread messages={c.messages} patientName={name} />
      {simulator.data && c.patient?.phone && c.number?.active && <ReplyAsPatient conversationId={c.id} name={name} />}
      <Composer conversation={c} onSent={onSent} onStale={() => void convo.reload()} />
    </div>
  );
}

/** An internal chat: who is in it, the thread (mine on the right, colleagues' on the left, by name), the composer. */
function InternalConversation({ conversation: c, participants, onSent, onStale, onLeft }: { conversation: OpenConversation; participants: { id: string; name: string; email: string; external: boolean }[]; onSent: () => void; onStale: () => void; onLeft: () => void }) {
  const me = signedIn.value?.user.id;
  const invited = c.invited ?? [];
  const name = internalChatName(participants, me, invited);
  const external = hasExternal(participants, invited);
  return (
    <div class="conversation conversation-internal" data-testid="conversation" data-kind="internal">
      <header class="conversation-head">
        <span class="avatar avatar-internal" aria-hidden="true">
          {initials(name)}
        </span>
        <div class="conversation-who">
          <h2 data-testid="conversation-patient">{name}</h2>
          <p class="muted small participant-list" data-testid="conversation-participants">
            {participants.length + invited.length} people:{' '}
            {participants.map((p, i) => (
              <span key={p.id} data-testid="participant" data-external={p.external ? 'true' : undefined}>
                {i > 0 && ', '}
                {p.id === me ? `${p.name} (you)` : p.name}
                {p.external && (
                  <>
                    {' '}
                    <span class="badge badge-external badge-tiny" title={`From outside the organization: ${p.email}`}>
                      External
                    </span>{' '}
                    <span class="muted">{p.email}</span>
                  </>
                )}
              </span>
            ))}
            {invited.map((i) => (
              <span key={i.email} data-testid="invited-participant">
                {', '}
                {i.email}{' '}
                <span class="badge badge-external badge-tiny" title={i.sent ? (i.expired ? 'The invitation link expired: People → Resend invitation.' : 'Invited by email; has not joined yet.') : 'Gets an invitation email when the next message is sent.'}>
                  {i.sent ? (i.expired ? 'Link expired' : 'Invited') : 'Invite on first message'}
                </span>
              </span>
            ))}
          </p>
        </div>
        <div class="conversation-line" data-testid="conversation-line">
          <span class="badge badge-internal" data-testid="conversation-kind" title="Only the people in this chat see it; messages and files stay on CareText.">
            Internal
          </span>
          {external && <ExternalBadge />}
          <span class="small muted">{external ? 'Includes people outside your organization' : 'Only the people in this chat see it'}</span>
          <PeopleMenu conversation={c} onChanged={onStale} onLeft={onLeft} />
        </div>
      </header>
      <Thread messages={c.messages} internal />
      <Composer conversation={c} onSent={onSent} onStale={onStale} />
    </div>
  );
}

/** A new portal link for this conversation's secure messages (the old one stops working), and how it went. */
function ResendLink({ conversationId }: { conversationId: string }) {
  const [pending, setPending] = useState(false);
  async function resend() {
    if (pending || !window.confirm('Send the patient a new link to their secure messages? The previous link stops working.')) return;
    setPending(true);
    try {
      const { notification } = await trpc.portal.resendLink.mutate({ conversationId });
      const told = resendNotice(notification, formatPhoneForDisplay, formatSendTime);
      notify(told.text, told.tone === 'warning' ? 'error' : 'success', 8000);
    } catch (err) {
      notify(errorMessage(err), 'error');
    } finally {
      setPending(false);
    }
  }
  return (
    <button type="button" class="btn btn-ghost btn-small" onClick={() => void resend()} disabled={pending} data-testid="resend-link">
      {pending ? 'Sending link…' : 'Resend link'}
    </button>
  );
}

/** Whether the patient may reply from the portal; the change is saved at once (and audited on the server). */
function RepliesSwitch({ conversationId, enabled, onChange }: { conversationId: string; enabled: boolean; onChange(enabled: boolean): void }) {
  const [pending, setPending] = useState(false);
  // Shown at once; back to what the server has if saving fails.
  const [shown, setShown] = useState(enabled);
  useEffect(() => setShown(enabled), [enabled]);
  async function toggle(next: boolean) {
    if (pending) return;
    setPending(true);
    setShown(next);
    try {
      const saved = await trpc.portal.setReplies.mutate({ conversationId, enabled: next });
      onChange(saved.repliesEnabled);
      notify(saved.repliesEnabled ? 'The patient can reply from the portal.' : 'Portal replies are off: the patient can read, not reply.', 'success');
    } catch (err) {
      setShown(enabled);
      notify(errorMessage(err), 'error');
    } finally {
      setPending(false);
    }
  }
  return (
    <label class="replies-switch small" title="Whether the patient can answer your secure messages from the portal" data-testid="replies-switch">
      <input type="checkbox" checked={shown} disabled={pending} onChange={(e) => void toggle(e.currentTarget.checked)} data-testid="replies-enabled" />
      Patient can reply
    </label>
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
