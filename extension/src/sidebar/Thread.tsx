import { useEffect, useRef } from 'preact/hooks';
import type { HistoryView } from '../views';
import { formatTime, statusOf } from './format';
import { byPerson } from './person-action';

const CHANNEL: Record<string, string> = { sms: 'SMS', mms: 'MMS', secure: 'Secure Chat', email: 'Email', internal: 'Internal' };

/** The patient's messages with the caller's teams, every channel, oldest first; then the outbox. */
export function Thread({ view, onDiscard }: { view: HistoryView; onDiscard(idempotencyKey: string): void }) {
  const end = useRef<HTMLDivElement>(null);
  const count = view.messages.length + view.outbox.length;
  useEffect(() => end.current?.scrollIntoView?.({ block: 'end' }), [count]);

  return (
    <div class="thread" data-testid="history" aria-live="polite">
      {count === 0 && <p class="empty">No messages with this patient yet.</p>}
      {view.messages.map((m) => {
        const status = statusOf(m);
        return (
          <div key={m.id} class={`msg${m.direction === 'outbound' ? ' out' : ''}`} data-testid="message" data-direction={m.direction} data-status={m.status}>
            {m.body}
            <div class="msg-meta">
              <span>{CHANNEL[m.channel] ?? m.channel}</span>
              <span>· {formatTime(m.createdAt)}</span>
              {m.direction === 'outbound' && m.sender && <span>· {m.sender}</span>}
              {status && (
                <span class={`status-${status.tone}`} data-testid="message-status">
                  · {status.label}
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
