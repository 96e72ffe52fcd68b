import { confirmationChip } from '@caretext/shared/composing';
import type { ConfirmationWords } from '@caretext/shared/confirmation';
import { useEffect, useRef } from 'preact/hooks';
import type { HistoryView } from '../views';
import { formatTime, statusOf } from './format';
import { byPerson } from './person-action';

const CHANNEL: Record<string, string> = { sms: 'SMS', mms: 'MMS', secure: 'Secure Chat', email: 'Email', internal: 'Internal' };

/** The patient's messages with the caller's teams, every channel, oldest first; then the outbox. */
export function Thread({ view, words, onDiscard }: { view: HistoryView; words?: ConfirmationWords | null; onDiscard(idempotencyKey: string): void }) {
  const end = useRef<HTMLDivElement>(null);
  const count = view.messages.length + view.outbox.length;
  useEffect(() => end.current?.scrollIntoView?.({ block: 'end' }), [count]);

  return (
    <div class="thread" data-testid="history" aria-live="polite">
      {count === 0 && <p class="empty">No messages with this patient yet.</p>}
      {view.messages.map((m) => {
        const secure = m.channel === 'secure';
        // Secure Chat has no carrier status; SMS has no read receipt (the UI never implies "unread").
        const status = secure ? null : statusOf(m);
        const seen = secure && m.direction === 'outbound' && m.readAt ? m.readAt : null;
        const chip = confirmationChip(m, words ?? undefined);
        return (
          <div key={m.id} class={`msg${m.direction === 'outbound' ? ' out' : ''}${secure ? ' secure' : ''}`} data-testid="message" data-direction={m.direction} data-channel={m.channel} data-status={m.status}>
            {m.recalled ? <em data-testid="message-recalled">Message recalled</em> : m.body}
            {!m.recalled && (m.attachments?.length ?? 0) > 0 && (
              <div class="msg-meta" data-testid="message-files">
                {m.attachments!.length === 1 ? '1 file' : `${m.attachments!.length} files`} · open the conversation in the CareText Inbox to see {m.attachments!.length === 1 ? 'it' : 'them'}
              </div>
            )}
            <div class="msg-meta">
              <span data-testid={secure ? 'secure-badge' : undefined} title={secure ? 'Secure Chat: the patient reads it in the portal after verifying their date of birth.' : undefined}>
                {secure ? '🔒 ' : ''}
                {CHANNEL[m.channel] ?? m.channel}
              </span>
              <span>· {formatTime(m.createdAt)}</span>
              {m.direction === 'outbound' && m.sender && <span>· {m.sender}</span>}
              {status && (
                <span class={`status-${status.tone}`} data-testid="message-status">
                  · {status.label}
                </span>
              )}
              {chip && (
                <span class={`chip ${chip.tone}`} title={chip.title ?? undefined} data-testid="confirmation-chip">
                  {chip.label}
                </span>
              )}
              {seen && (
                <span class="status-ok" data-testid="read-receipt">
                  · Seen {formatTime(seen)}
                </span>
              )}
            </div>
          </div>
        );
      })}
      {view.outbox.length > 0 && (
        <div data-testid="outbox" class="thread">
          {view.outbox.map((o) => (
            <div key={o.idempotencyKey} class="msg out pending" data-testid="outbox-item" data-state={o.state}>
              {o.body}
              <div class="msg-meta">
                <span>SMS · Outbox</span>
                <span class={o.state === 'failed' ? 'status-error' : ''}>
                  · {o.state === 'waiting' ? 'Waiting for connection' : o.state === 'sending' ? 'Sending…' : `Not sent: ${o.error ?? 'refused'}`}
                </span>
                {o.state !== 'sending' && (
                  <button type="button" class="btn small" onClick={(e) => byPerson(e) && onDiscard(o.idempotencyKey)} data-testid="outbox-discard">
                    Discard
                  </button>
                )}
              </div>
            </div>
          ))}
        </div>
      )}
      <div ref={end} />
    </div>
  );
}
