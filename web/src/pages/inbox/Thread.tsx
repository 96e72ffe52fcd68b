import { confirmationChip } from '@caretext/shared';
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { Modal } from '../../components/Modal';
import { formatDate, formatMessageTime } from '../../lib/dates';
import { errorMessage } from '../../lib/errors';
import { notify } from '../../lib/notices';
import { currentOrg, isAdmin, signedIn } from '../../lib/session';
import { type RouterOutputs, trpc } from '../../lib/trpc';
import { formatSize, MessageFiles } from './attachments';
import { LockIcon } from './Composer';
import { initials } from './ConversationList';
import { messageStatus } from './messageStatus';

export type ThreadMessage = RouterOutputs['conversations']['get']['messages'][number];

/** The messages of one conversation, oldest first; outbound on the right, the patient's on the left. */
export function Thread({ messages, compact = false, patientName, internal = false }: { messages: ThreadMessage[]; compact?: boolean; patientName?: string; internal?: boolean }) {
  const scroller = useRef<HTMLDivElement>(null);
  // Whether the reader is at the end of the thread; someone reading older messages is left there.
  const atEnd = useRef(true);
  const last = messages[messages.length - 1];

  // Follow the conversation: a new message (or a status change on the last one) scrolls into view.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (el && !compact && atEnd.current) el.scrollTop = el.scrollHeight;
  }, [messages.length, last?.id, last?.status, readAtOf(last)]);

  const onScroll = () => {
    const el = scroller.current;
    if (el) atEnd.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
  };

  if (!messages.length) {
    return (
      <div class={compact ? 'thread-empty-compact' : 'thread-scroll'} ref={scroller}>
        <div class="thread-empty" data-testid="thread-empty">
          <p class="state-title">No messages yet</p>
          <p class="muted small">{internal ? 'Write the first one below. Only the people in this chat see it.' : 'Write the first one below. Replies from the patient show up here as they arrive.'}</p>
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
            m.direction === 'system' ? <SystemLine key={m.id} message={m} /> : <MessageItem key={m.id} message={m} patientName={patientName} internal={internal} />,
          ];
        })}
      </ol>
    </div>
  );
}

/**
 * An MMS blast message's images, through links the server minted for the reader when the thread
 * was read (they expire: a later read mints new ones).
 */
function MessageImages({ images }: { images: { id: string; fileName: string; url: string }[] }) {
  if (!images.length) return null;
  return (
    <div class="msg-images" data-testid="message-images">
      {images.map((img) => (
        <a key={img.id} href={img.url} target="_blank" rel="noopener noreferrer" title={img.fileName}>
          <img src={img.url} alt={img.fileName} loading="lazy" data-testid="message-image" />
        </a>
      ))}
    </div>
  );
}

function readAtOf(m: ThreadMessage | undefined): string | null {
  const at = (m as { readAt?: Date | string | null } | undefined)?.readAt;
  return at ? new Date(at).toISOString() : null;
}

/** A note of the system's in the thread (the portal lockout): a centered line, nobody's bubble. */
function SystemLine({ message: m }: { message: ThreadMessage }) {
  return (
    <li class="thread-system" data-testid="system-line" data-id={m.id}>
      <span>
        {m.body} · <time dateTime={new Date(m.createdAt).toISOString()}>{formatMessageTime(m.createdAt)}</time>
      </span>
    </li>
  );
}

function MessageItem({ message: m, patientName, internal = false }: { message: ThreadMessage; patientName?: string; internal?: boolean }) {
  // In an internal chat every message is a colleague's: mine go right, the others' left, by name.
  const outbound = internal ? m.senderId === signedIn.value?.user.id : m.direction === 'outbound';
  const secure = m.channel === 'secure';
  const [asking, setAsking] = useState<{ kind: 'message' } | { kind: 'file'; id: string } | null>(null);
  const [retrieved, setRetrieved] = useState<RouterOutputs['recall']['retrieve'] | null>(null);
  const [busy, setBusy] = useState(false);
  // The sender may recall their own secure message (an SMS already reached the phone).
  const mine = secure && outbound && Boolean(m.senderId) && m.senderId === signedIn.value?.user.id;
  const recalled = Boolean(m.recalled);
  const files = m.attachments ?? [];
  const anyRecalled = recalled || files.some((f) => f.recalled);

  async function recall() {
    if (!asking) return;
    setBusy(true);
    try {
      if (asking.kind === 'message') await trpc.recall.message.mutate({ messageId: m.id });
      else await trpc.recall.attachment.mutate({ attachmentId: asking.id });
      notify(asking.kind === 'message' ? 'Message recalled.' : 'File recalled.', 'info');
      setAsking(null);
    } catch (error) {
      notify(errorMessage(error), 'error');
    } finally {
      setBusy(false);
    }
  }

  async function retrieve() {
    setBusy(true);
    try {
      setRetrieved(await trpc.recall.retrieve.mutate({ messageId: m.id }));
    } catch (error) {
      notify(errorMessage(error), 'error');
    } finally {
      setBusy(false);
    }
  }
  // SMS has no read receipts: only a secure message the patient viewed in the portal says Seen.
  const readAt = secure && outbound ? readAtOf(m) : null;
  const status = secure ? null : messageStatus(m);
  return (
    <li class={`msg ${outbound ? 'msg-out' : 'msg-in'}${secure ? ' msg-secure' : ''}${internal ? ' msg-internal' : ''}${recalled ? ' msg-recalled' : ''}`} data-testid="message" data-direction={m.direction} data-channel={m.channel} data-status={m.status} data-id={m.id} data-recalled={recalled ? 'true' : undefined}>
      {recalled ? (
        <div class="bubble bubble-recalled" data-testid="message-recalled">
          Message recalled
        </div>
      ) : (
        <>
          {m.body && (
            <div class="bubble" data-testid="message-body">
              {m.body}
            </div>
          )}
          <MessageImages images={m.images ?? []} />
          <MessageFiles files={files} canRecall={mine} onRecall={(id) => setAsking({ kind: 'file', id })} />
        </>
      )}
      <div class="msg-meta">
        {secure && !internal && (
          <span class="badge badge-secure" data-testid="secure-badge" title="Secure Chat: the patient reads it in the portal after verifying their date of birth.">
            <LockIcon /> Secure
          </span>
        )}
        {(outbound || internal) && m.sender && <span data-testid="message-sender">{m.sender}</span>}
        <time dateTime={new Date(m.createdAt).toISOString()}>{formatMessageTime(m.createdAt)}</time>
        {status && (
          <span class={`msg-status msg-status-${status.tone}`} data-testid="message-status">
            {status.label}
          </span>
        )}
        <ConfirmationChip message={m} />
        {m.segments > 1 && <span>{m.segments} segments</span>}
        {mine && !recalled && (
          <button type="button" class="btn btn-ghost btn-small msg-action" onClick={() => setAsking({ kind: 'message' })} data-testid="recall-message">
            Recall
          </button>
        )}
        {anyRecalled && isAdmin.value && (
          <button type="button" class="btn btn-ghost btn-small msg-action" onClick={() => void retrieve()} disabled={busy} title="Admins can read recalled content; each retrieval is recorded in the audit log." data-testid="retrieve-recalled">
            Show recalled content
          </button>
        )}
      </div>
      {readAt && (
        <div class="msg-receipt" data-testid="read-receipt" title={`Seen by ${patientName ?? 'the patient'} ${formatDate(readAt)} ${formatMessageTime(readAt)}`}>
          <span class="avatar avatar-xs" aria-hidden="true">
            {initials(patientName ?? 'Patient')}
          </span>
          <span>Seen {formatMessageTime(readAt)}</span>
        </div>
      )}
      {asking && (
        <Modal
          title={asking.kind === 'message' ? 'Recall this message?' : 'Recall this file?'}
          onClose={() => setAsking(null)}
          busy={busy}
          testId="recall-dialog"
          actions={[
            <button key="cancel" type="button" class="btn btn-secondary" onClick={() => setAsking(null)} disabled={busy}>
              Cancel
            </button>,
            <button key="recall" type="button" class="btn btn-danger" onClick={() => void recall()} disabled={busy} data-testid="recall-confirm">
              {asking.kind === 'message' ? 'Recall message' : 'Recall file'}
            </button>,
          ]}
        >
          <p>
            {asking.kind === 'message'
              ? `${internal ? 'The others in this chat' : 'The patient and your colleagues'} will see "Message recalled" instead of the text and its files; links to its files stop working.`
              : `The file disappears from the message for ${internal ? 'the others in this chat' : 'the patient and your colleagues'}; links to it stop working.`}
          </p>
          <p class="muted small">{internal ? 'Anyone who already opened it may have kept a copy.' : 'If the patient already opened it, they may have kept a copy.'} Admins can still read recalled content.</p>
        </Modal>
      )}
      {retrieved && (
        <Modal title="Recalled content" onClose={() => setRetrieved(null)} testId="retrieved-dialog" actions={[<button key="close" type="button" class="btn btn-secondary" onClick={() => setRetrieved(null)}>Close</button>]}>
          {retrieved.recalledAt && (
            <p class="muted small">
              Recalled by {retrieved.recalledBy} on {formatDate(retrieved.recalledAt)} {formatMessageTime(retrieved.recalledAt)}. This retrieval is recorded in the audit log.
            </p>
          )}
          {retrieved.body && <blockquote class="retrieved-body" data-testid="retrieved-body">{retrieved.body}</blockquote>}
          {retrieved.attachments.length > 0 && (
            <ul class="retrieved-files">
              {retrieved.attachments.map((f) => (
                <li key={f.id}>
                  <a href={f.url} target="_blank" rel="noopener noreferrer" data-testid="retrieved-file">
                    {f.fileName}
                  </a>{' '}
                  <span class="small muted">{formatSize(f.size)} · link works for 5 minutes</span>
                </li>
              ))}
            </ul>
          )}
        </Modal>
      )}
      {status?.detail && (
        <p class={`msg-detail${status.tone === 'error' ? ' msg-detail-error' : ''}`} data-testid="message-error">
          {status.detail}
        </p>
      )}
    </li>
  );
}

/** Confirmed / Declined / Awaiting (the org's words), as the shared core labels a request. */
function ConfirmationChip({ message }: { message: ThreadMessage }) {
  const chip = confirmationChip(message, currentOrg.value?.confirmationWords ?? undefined);
  if (!chip) return null;
  const tone = { ok: ' badge-approved', error: ' badge-rejected', pending: '' }[chip.tone];
  return (
    <span class={`badge${tone}`} title={chip.title ?? undefined} data-testid="confirmation-chip">
      {chip.label}
    </span>
  );
}
