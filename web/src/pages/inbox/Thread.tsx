import { useLayoutEffect, useRef } from 'preact/hooks';
import { formatDate, formatMessageTime } from '../../lib/dates';
import type { RouterOutputs } from '../../lib/trpc';
import { messageStatus } from './messageStatus';

export type ThreadMessage = RouterOutputs['conversations']['get']['messages'][number];

/** The messages of one conversation, oldest first; outbound on the right, the patient's on the left. */
export function Thread({ messages, compact = false }: { messages: ThreadMessage[]; compact?: boolean }) {
  const scroller = useRef<HTMLDivElement>(null);
  // Whether the reader is at the end of the thread; someone reading older messages is left there.
  const atEnd = useRef(true);
  const last = messages[messages.length - 1];

  // Follow the conversation: a new message (or a status change on the last one) scrolls into view.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (el && !compact && atEnd.current) el.scrollTop = el.scrollHeight;
  }, [messages.length, last?.id, last?.status]);

  const onScroll = () => {
    const el = scroller.current;
    if (el) atEnd.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
  };

  if (!messages.length) {
    return (
      <div class={compact ? 'thread-empty-compact' : 'thread-scroll'} ref={scroller}>
        <div class="thread-empty" data-testid="thread-empty">
          <p class="state-title">No messages yet</p>
          <p class="muted small">Write the first one below. Replies from the patient show up here as they arrive.</p>
        </div>
      </div>
    );
  }

  let previousDay = '';
  return (
    <div class={compact ? 'thread-compact' : 'thread-scroll'} ref={scroller} onScroll={onScroll}>
      <ol class="thread" data-testid="thread">
        {messages.map((m) => {
          const day = new Date(m.createdAt).toDateString();
          const newDay = day !== previousDay;
          previousDay = day;
          return [
            newDay && (
              <li key={`day-${day}`} class="thread-day" aria-hidden="true">
                <span>{formatDate(m.createdAt)}</span>
              </li>
            ),
            <MessageItem key={m.id} message={m} />,
          ];
        })}
      </ol>
    </div>
  );
}

function MessageItem({ message: m }: { message: ThreadMessage }) {
  const outbound = m.direction === 'outbound';
  const status = messageStatus(m);
  return (
    <li class={`msg ${outbound ? 'msg-out' : 'msg-in'}`} data-testid="message" data-direction={m.direction} data-status={m.status} data-id={m.id}>
      <div class="bubble" data-testid="message-body">
        {m.body}
      </div>
      <div class="msg-meta">
        {outbound && m.sender && <span>{m.sender}</span>}
        <time dateTime={new Date(m.createdAt).toISOString()}>{formatMessageTime(m.createdAt)}</time>
        {status && (
          <span class={`msg-status msg-status-${status.tone}`} data-testid="message-status">
            {status.label}
          </span>
        )}
        {m.requestsConfirmation && <ConfirmationChip confirmation={m.confirmation} />}
        {m.segments > 1 && <span>{m.segments} segments</span>}
      </div>
      {status?.detail && (
        <p class={`msg-detail${status.tone === 'error' ? ' msg-detail-error' : ''}`} data-testid="message-error">
          {status.detail}
        </p>
      )}
    </li>
  );
}

function ConfirmationChip({ confirmation }: { confirmation: string | null }) {
  if (confirmation === 'confirmed') {
    return (
      <span class="badge badge-approved" data-testid="confirmation-chip">
        Confirmed
      </span>
    );
  }
  if (confirmation === 'declined') {
    return (
      <span class="badge badge-rejected" data-testid="confirmation-chip">
        Declined
      </span>
    );
  }
  return (
    <span class="badge" title="Asked the patient to reply C to confirm or N to decline." data-testid="confirmation-chip">
      Awaiting C/N
    </span>
  );
}
