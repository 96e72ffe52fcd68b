import { describePhi, detectPhi, TEMPLATE_TOKENS } from '@caretext/shared';
import { useEffect, useRef, useState } from 'preact/hooks';
import { Modal } from '../../components/Modal';
import { insertAtCursor, placeCursor, TokenChips, UnknownTokensWarning } from '../../components/TemplateTokens';
import { formatSendTime } from '../../lib/dates';
import { errorMessage } from '../../lib/errors';
import { notify } from '../../lib/notices';
import { useQuery } from '../../lib/query';
import { trpc } from '../../lib/trpc';
import { newIdempotencyKey, refusalOf, segmentSummary } from './composing';
import type { OpenConversation } from './ConversationView';
import { patientLabel } from '../directory/patients/display';

type Asked = { kind: 'phi'; message: string } | { kind: 'quiet'; message: string; nextSendTime: string | null };
type Flags = { confirmPhi?: boolean; quietHours?: 'send_now' | 'schedule' };


/** Writes and sends one SMS: live segment count and cost, templates, PHI guard, quiet hours. */
export function Composer({ conversation, onSent }: { conversation: OpenConversation; onSent: () => void }) {
  const [text, setText] = useState('');
  const [askConfirm, setAskConfirm] = useState(false);
  const [showTokens, setShowTokens] = useState(false);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<{ message: string; reason: string | null } | null>(null);
  const [asked, setAsked] = useState<Asked | null>(null);
  const textarea = useRef<HTMLTextAreaElement>(null);
  // One key per composed message: a retry (double click, lost answer) can never send it twice.
  const key = useRef(newIdempotencyKey());
  const flags = useRef<Flags>({});
  const inFlight = useRef(false);
  const templates = useQuery(() => trpc.templates.list.query({ teamId: conversation.team.id }), [conversation.team.id]);

  // Opening a conversation (or starting one) puts the cursor here, ready to write.
  useEffect(() => textarea.current?.focus(), []);

  // A conversation whose number was released is read-only: nothing can go out of it any more.
  const closed = conversation.readOnly;
  if (closed) {
    return (
      <div class="composer composer-closed" data-testid="composer">
        <label for="composer-text" class="visually-hidden">
          Message to {patientName(conversation)}
        </label>
        <textarea id="composer-text" rows={2} value="" disabled aria-describedby="composer-closed" data-testid="composer-text" />
        <div class="alert alert-warning composer-note" role="status" id="composer-closed" data-testid="composer-closed">
          {closed}
        </div>
        <div class="composer-bar">
          <div class="composer-tools" />
          <div class="composer-send">
            <button type="button" class="btn btn-primary" disabled data-testid="send-button">
              Send
            </button>
          </div>
        </div>
      </div>
    );
  }

  const summary = segmentSummary(text);
  const used = TEMPLATE_TOKENS.filter((t) => text.includes(t.token));
  const phi = detectPhi(text);

  function edit(next: string) {
    setText(next);
    // A different text is a different message, and what was confirmed for the old one does not carry over.
    key.current = newIdempotencyKey();
    flags.current = {};
    if (error) setError(null);
  }

  function insert(snippet: string) {
    const { text: next, cursor } = insertAtCursor(textarea.current, text, snippet);
    edit(next);
    placeCursor(textarea.current, cursor);
  }

  async function send(extra: Flags = {}) {
    const body = text.trim();
    if (!body || inFlight.current) return;
    inFlight.current = true;
    setPending(true);
    setError(null);
    flags.current = { ...flags.current, ...extra };
    try {
      const result = await trpc.conversations.send.mutate({
        conversationId: conversation.id,
        body,
        idempotencyKey: key.current,
        requestsConfirmation: askConfirm || undefined,
        ...flags.current,
      });
      setAsked(null);
      setText('');
      setAskConfirm(false);
      key.current = newIdempotencyKey();
      flags.current = {};
      if (result.sendAfter) notify(`Scheduled for ${formatSendTime(result.sendAfter)}, when quiet hours end.`, 'info');
      onSent();
      textarea.current?.focus();
    } catch (err) {
      const refusal = refusalOf(err);
      if (refusal?.reason === 'phi') setAsked({ kind: 'phi', message: refusal.message });
      else if (refusal?.reason === 'quiet_hours') {
        const next = refusal.details.nextSendTime;
        setAsked({ kind: 'quiet', message: refusal.message, nextSendTime: typeof next === 'string' ? next : null });
      } else {
        setAsked(null);
        setError({ message: errorMessage(err), reason: refusal?.reason ?? null });
      }
    } finally {
      inFlight.current = false;
      setPending(false);
    }
  }

  function onKeyDown(e: KeyboardEvent) {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      void send();
    }
  }

  const templateList = templates.data ?? [];
  return (
    <div class="composer" data-testid="composer">
      {showTokens && <TokenChips onInsert={insert} />}
      <label for="composer-text" class="visually-hidden">
        Message to {patientName(conversation)}
      </label>
      <textarea
        id="composer-text"
        ref={textarea}
        rows={3}
        value={text}
        placeholder={`Text ${patientName(conversation)}… (Ctrl+Enter to send)`}
        onInput={(e) => edit(e.currentTarget.value)}
        onKeyDown={onKeyDown}
        aria-describedby="composer-counter"
        data-testid="composer-text"
      />
      <div class="composer-meta">
        <span class="composer-tokens small" data-testid="used-tokens">
          {used.length > 0 && (
            <>
              <span class="muted">Filled in when sent:</span>
              {used.map((t) => (
                <span key={t.key} class="token-chip token-chip-static" title={`e.g. ${t.example}`}>
                  {t.label}
                </span>
              ))}
            </>
          )}
        </span>
        <span class="composer-counter small" id="composer-counter" data-testid="composer-counter" data-encoding={summary.encoding}>
          {summary.counter}
          {summary.segments > 0 && <span class="muted"> · ≈ {summary.cost}</span>}
        </span>
      </div>
      {phi.length > 0 && (
        <div class="alert alert-warning composer-note" role="status" data-testid="phi-warning">
          {describePhi(phi)} <span class="muted">Secure Chat is coming soon.</span>
        </div>
      )}
      <UnknownTokensWarning text={text} />
      {error && (
        <div class="alert alert-error composer-note" role="alert" data-testid="send-error" data-reason={error.reason ?? ''}>
          {error.message}
        </div>
      )}
      <div class="composer-bar">
        <div class="composer-tools">
          {templateList.length > 0 && (
            <select
              class="select-compact"
              value=""
              aria-label="Insert a template"
              onChange={(e) => {
                const chosen = templateList.find((t) => t.id === e.currentTarget.value);
                e.currentTarget.value = '';
                if (chosen) insert(chosen.body);
              }}
              data-testid="template-picker"
            >
              <option value="">Templates…</option>
              {templateList.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.team ? `${t.name} (${t.team.name})` : t.name}
                </option>
              ))}
            </select>
          )}
          <button type="button" class={`btn btn-ghost btn-small${showTokens ? ' is-on' : ''}`} aria-pressed={showTokens} onClick={() => setShowTokens(!showTokens)} data-testid="toggle-tokens">
            {'{{ }}'} Tokens
          </button>
          <label class="check composer-confirm">
            <input type="checkbox" checked={askConfirm} onChange={(e) => setAskConfirm(e.currentTarget.checked)} data-testid="ask-confirm" />
            <span class="small">Ask the patient to confirm (C/N)</span>
          </label>
        </div>
        <div class="composer-send">
          <button type="button" class="btn btn-primary" onClick={() => void send()} disabled={pending || !text.trim()} aria-busy={pending} data-testid="send-button">
            {pending ? 'Sending…' : 'Send'}
          </button>
        </div>
      </div>

      {asked?.kind === 'phi' && (
        <Modal
          title="This looks like PHI"
          onClose={() => setAsked(null)}
          busy={pending}
          testId="phi-dialog"
          actions={
            <>
              <button type="button" class="btn btn-secondary" onClick={() => setAsked(null)} disabled={pending} data-autofocus>
                Cancel
              </button>
              <button type="button" class="btn btn-secondary" disabled title="Secure Chat is coming soon" data-testid="phi-send-secure">
                Send as Secure Chat instead (coming soon)
              </button>
              <button type="button" class="btn btn-danger" onClick={() => void send({ confirmPhi: true })} disabled={pending} data-testid="phi-send-anyway">
                {pending ? 'Sending…' : 'Send as SMS anyway'}
              </button>
            </>
          }
        >
          <p>{asked.message}</p>
          <p class="muted small">Sending PHI by plain SMS is a HIPAA violation. Send it anyway only if you are sure it contains none.</p>
        </Modal>
      )}
      {asked?.kind === 'quiet' && (
        <Modal
          title="It's quiet hours for this patient"
          onClose={() => setAsked(null)}
          busy={pending}
          testId="quiet-hours-dialog"
          actions={
            <>
              <button type="button" class="btn btn-secondary" onClick={() => setAsked(null)} disabled={pending}>
                Cancel
              </button>
              <button type="button" class="btn btn-secondary" onClick={() => void send({ quietHours: 'send_now' })} disabled={pending} data-testid="quiet-send-now">
                Send now anyway
              </button>
              <button type="button" class="btn btn-primary" onClick={() => void send({ quietHours: 'schedule' })} disabled={pending} data-autofocus data-testid="quiet-schedule">
                {asked.nextSendTime ? `Schedule for ${formatSendTime(asked.nextSendTime)}` : 'Schedule for when quiet hours end'}
              </button>
            </>
          }
        >
          <p>{asked.message}</p>
        </Modal>
      )}
    </div>
  );
}

function patientName(conversation: OpenConversation): string {
  return conversation.patient ? patientLabel(conversation.patient) : 'the patient';
}
