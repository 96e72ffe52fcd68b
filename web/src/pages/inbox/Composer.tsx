import { type Answer, answered, CHANNEL_LABELS, type Channel, channelChoice, notificationNotice, type Choice, choiceAttributes, type ComposeState, confirmationRequestText, DEFAULT_CONFIRMATION_WORDS, composerNotes, dismissed, edited, formatPhoneForDisplay, optedOutMessage, outgoing, type Problem, problemOf, type Question, questionView, refused, sendRequest, sent, sentNotice, startComposing, TEMPLATE_TOKENS, templateAsksConfirmation, templateData } from '@caretext/shared';
import { useEffect, useRef, useState } from 'preact/hooks';
import { Modal } from '../../components/Modal';
import { insertAtCursor, placeCursor, TokenChips } from '../../components/TemplateTokens';
import { formatDate, formatSendTime } from '../../lib/dates';
import { errorMessage } from '../../lib/errors';
import { notify } from '../../lib/notices';
import { useQuery } from '../../lib/query';
import { currentOrg, signedIn } from '../../lib/session';
import { internalChatName } from './ConversationList';
import { trpc } from '../../lib/trpc';
import { DraftFiles, type DraftFile, PaperclipIcon, uploadFile } from './attachments';
import { refusalOf } from './composing';
import type { OpenConversation } from './ConversationView';
import { patientLabel } from '../directory/patients/display';

/**
 * Writes and sends one message, as Secure Chat or SMS (Text Message). What it shows and decides (count and cost, the confirmation text,
 * questions, refusals) comes from the shared composing core; this is the Inbox's view of it.
 */
export function Composer({ conversation, onSent, onStale }: { conversation: OpenConversation; onSent: () => void; onStale?: () => void }) {
  const [state, setState] = useState<ComposeState>(() => startComposing());
  const [showTokens, setShowTokens] = useState(false);
  const [pending, setPending] = useState(false);
  const [files, setFiles] = useState<DraftFile[]>([]);
  const fileInput = useRef<HTMLInputElement>(null);
  const textarea = useRef<HTMLTextAreaElement>(null);
  const inFlight = useRef(false);
  // An internal chat (staff only): stored like Secure Chat, never SMS; no patient, so no tokens, templates or confirmation.
  const internal = conversation.kind === 'internal';
  const templates = useQuery(() => (internal ? Promise.resolve(null) : trpc.templates.list.query({ teamId: conversation.team.id })), [conversation.team.id, internal]);
  const patientId = conversation.patient?.id;
  // Which channels this patient can get from this team (the server's rule, as the sidebar reads it).
  // Read again when the opt-out changes (STOP or START arrives live), so SMS closes or reopens.
  const optedOutAt = conversation.optOut ? String(conversation.optOut.at) : null;
  const availability = useQuery(() => (patientId ? trpc.conversations.availability.query({ teamId: conversation.team.id, patientIds: [patientId] }) : Promise.resolve(null)), [conversation.team.id, patientId, optedOutAt]);
  const org = currentOrg.value;
  const words = org?.confirmationWords ?? DEFAULT_CONFIRMATION_WORDS;

  // Opening a conversation (or starting one) puts the cursor here, ready to write.
  useEffect(() => textarea.current?.focus(), []);

  const blocked = blockOf(conversation);
  const secureOffered = channelChoice(availability.data).offered.includes('secure');
  // Opted out or number released closes SMS only: Secure Chat still reaches the patient.
  if (blocked && !secureOffered) return <ClosedComposer conversation={conversation} problem={blocked} />;

  const offered = channelChoice(availability.data);
  const choice = blocked ? { ...offered, offered: offered.offered.filter((c) => c === 'secure'), preferred: 'secure' as const, smsUnavailable: blocked.message } : offered;
  // Until the availability is known (or where it cannot be read) the composer sends SMS, as before.
  const channel: Channel = blocked || internal ? 'secure' : (state.channel ?? choice.preferred ?? 'sms');
  const current: ComposeState = { ...state, channel };
  const patient = conversation.patient;
  const out = outgoing(current, { words, template: patient ? templateData(patient, org?.name ?? '') : undefined, formatPhone: formatPhoneForDisplay });
  const used = TEMPLATE_TOKENS.filter((t) => state.text.includes(t.token));

  function insert(snippet: string, asksConfirmation = false) {
    const { text, cursor } = insertAtCursor(textarea.current, state.text, snippet);
    setState((s) => edited(s, { text, requestsConfirmation: s.requestsConfirmation || asksConfirmation }));
    placeCursor(textarea.current, cursor);
  }

  const readyIds = files.filter((f) => f.status === 'ready').map((f) => f.id!);
  const uploading = files.some((f) => f.status === 'uploading');

  /** Files chosen, pasted or dropped: each uploads now, showing progress or why it was refused. */
  function addFiles(list: FileList | File[] | null) {
    if (!list || channel !== 'secure') return;
    for (const file of Array.from(list)) {
      const key = `${Date.now()}-${Math.random()}`;
      const patch = (change: Partial<DraftFile>) => setFiles((all) => all.map((f) => (f.key === key ? { ...f, ...change } : f)));
      setFiles((all) => [...all, { key, name: file.name || 'file', size: file.size, progress: 0, status: 'uploading', contentType: file.type }]);
      uploadFile(conversation.id, file, (progress) => patch({ progress })).then(
        (stored) => patch({ status: 'ready', id: stored.id, name: stored.fileName, contentType: stored.contentType, progress: 1 }),
        (error: Error) => patch({ status: 'error', error: error.message }),
      );
    }
  }

  async function send(answer?: Answer) {
    const next = answer ? answered(current, answer) : current;
    if (uploading) return;
    const request = sendRequest(next, next.channel === 'secure' ? readyIds : []);
    if (!request || inFlight.current) return;
    inFlight.current = true;
    setPending(true);
    setState({ ...next, problem: null });
    try {
      const result = await trpc.conversations.send.mutate({ conversationId: conversation.id, ...request });
      setState(sent(undefined, next.channel));
      if (request.attachmentIds) setFiles([]);
      const told = notificationNotice(result.notification, formatPhoneForDisplay, formatSendTime);
      const notice = told ? null : sentNotice({ sendAfter: result.sendAfter }, formatSendTime);
      if (told) notify(told.text, told.tone === 'warning' ? 'error' : 'info', 8000);
      if (notice) notify(notice, 'info');
      onSent();
      textarea.current?.focus();
    } catch (err) {
      const after = refused(next, refusalOf(err) ?? { reason: null, message: errorMessage(err) });
      setState(after);
      // Opted out (or blocked) since the thread was loaded: reload it, so the composer closes with the reason.
      if (after.problem?.blocksComposer) onStale?.();
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
  const secureFiles = channel === 'secure';
  const canSend = Boolean(state.text.trim()) || (secureFiles && readyIds.length > 0);
  return (
    <div
      class="composer"
      data-testid="composer"
      data-channel={channel}
      onDragOver={(e) => secureFiles && e.dataTransfer?.types.includes('Files') && e.preventDefault()}
      onDrop={(e) => {
        if (!secureFiles || !e.dataTransfer?.files.length) return;
        e.preventDefault();
        addFiles(e.dataTransfer.files);
      }}
    >
      {!internal && choice.offered.includes('secure') && (
        <div class="composer-channels" role="radiogroup" aria-label="Send as" data-testid="composer-channels">
          {(['secure', 'sms'] as const).map((c) => {
            const offered = choice.offered.includes(c);
            return (
              <button
                key={c}
                type="button"
                role="radio"
                class={`composer-channel${channel === c ? ' is-on' : ''}`}
                aria-checked={channel === c}
                disabled={!offered || pending}
                title={!offered && c === 'sms' ? (choice.smsUnavailable ?? undefined) : undefined}
                onClick={() => setState((s) => edited(s, { channel: c }))}
                data-testid={`composer-channel-${c}`}
              >
                {c === 'secure' && <LockIcon />}
                {CHANNEL_LABELS[c]}
              </button>
            );
          })}
          {channel === 'secure' && <span class="small muted">The patient gets a link and verifies their date of birth; the message stays on CareText.</span>}
        </div>
      )}
      {!internal && channel === 'secure' && choice.smsUnavailable && (
        <p class="small muted composer-sms-unavailable" data-testid="sms-unavailable">
          SMS is not available: {choice.smsUnavailable}
        </p>
      )}
      {showTokens && <TokenChips onInsert={(t) => insert(t)} />}
      <label for="composer-text" class="visually-hidden">
        Message to {patientName(conversation)}
      </label>
      <textarea
        id="composer-text"
        ref={textarea}
        rows={3}
        value={state.text}
        placeholder={internal ? `Message to ${patientName(conversation)}… (Ctrl+Enter to send)` : `${channel === 'secure' ? 'Secure message to' : 'Text'} ${patientName(conversation)}… (Ctrl+Enter to send)`}
        onInput={(e) => {
          const text = e.currentTarget.value;
          setState((s) => edited(s, { text }));
        }}
        onKeyDown={onKeyDown}
        onPaste={(e) => {
          const pasted = e.clipboardData?.files;
          if (secureFiles && pasted?.length) {
            e.preventDefault();
            addFiles(pasted);
          }
        }}
        aria-describedby="composer-counter"
        data-testid="composer-text"
      />
      {secureFiles ? (
        <DraftFiles files={files} disabled={pending} onRemove={(key) => setFiles((all) => all.filter((f) => f.key !== key))} />
      ) : (
        files.length > 0 && (
          <p class="small muted" data-testid="files-not-sms">
            Files go only by Secure Chat: switch back to Secure Chat to send them.
          </p>
        )
      )}
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
        {internal ? (
          <span class="composer-counter small muted" id="composer-counter" data-testid="composer-counter">
            Internal · stays on CareText
          </span>
        ) : out.smsLine !== null ? (
          <span class="composer-counter small" id="composer-counter" data-testid="composer-counter" data-encoding={out.summary.encoding}>
            {out.summary.counter}
            {out.summary.cost && <span class="muted"> · ≈ {out.summary.cost}</span>}
          </span>
        ) : (
          <span class="composer-counter small muted" id="composer-counter" data-testid="composer-counter">
            Secure Chat · no SMS segments
          </span>
        )}
      </div>
      {composerNotes(current, out).map((n) => (
        <div key={n.id} class={NOTE[n.tone]} role={n.alert ? 'alert' : 'status'} data-testid={n.id} data-reason={n.reason ?? undefined}>
          {n.text}
        </div>
      ))}
      <div class="composer-bar">
        <div class="composer-tools">
          {secureFiles && (
            <>
              <input
                ref={fileInput}
                type="file"
                multiple
                class="visually-hidden"
                tabIndex={-1}
                onChange={(e) => {
                  addFiles(e.currentTarget.files);
                  e.currentTarget.value = '';
                }}
                data-testid="attach-input"
              />
              <button type="button" class="btn btn-ghost btn-small" onClick={() => fileInput.current?.click()} disabled={pending} title="Attach files (or paste or drop them here). Images, PDFs and documents." data-testid="attach-button">
                <PaperclipIcon /> Attach
              </button>
            </>
          )}
          {templateList.length > 0 && (
            <select
              class="select-compact"
              value=""
              aria-label="Insert a template"
              onChange={(e) => {
                const chosen = templateList.find((t) => t.id === e.currentTarget.value);
                e.currentTarget.value = '';
                if (chosen) insert(chosen.body, templateAsksConfirmation(chosen, words));
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
          {!internal && (
          <button type="button" class={`btn btn-ghost btn-small${showTokens ? ' is-on' : ''}`} aria-pressed={showTokens} onClick={() => setShowTokens(!showTokens)} data-testid="toggle-tokens">
            {'{{ }}'} Tokens
          </button>
          )}
          {!internal && (
          <label class="check composer-confirm" title={`Adds: ${confirmationRequestText(words)}`}>
            <input
              type="checkbox"
              checked={state.requestsConfirmation}
              onChange={(e) => {
                const on = e.currentTarget.checked;
                setState((s) => edited(s, { requestsConfirmation: on }));
              }}
              data-testid="ask-confirm"
            />
            <span class="small">
              Ask the patient to confirm ({words.confirm[0]}/{words.decline[0]})
            </span>
          </label>
          )}
        </div>
        <div class="composer-send">
          <button type="button" class="btn btn-primary" onClick={() => void send()} disabled={pending || uploading || !canSend} aria-busy={pending} data-testid="send-button">
            {pending ? 'Sending…' : uploading ? 'Uploading…' : channel === 'secure' && !internal ? 'Send secure' : 'Send'}
          </button>
        </div>
      </div>
      {out.adds && (
        <p class="composer-adds small muted" data-testid="confirm-adds">
          Adds: {out.adds}
        </p>
      )}
      {state.asked && <QuestionDialog question={state.asked} pending={pending} onAnswer={(a) => void send(a)} onCancel={() => setState(dismissed)} />}
    </div>
  );
}

/** PHI or quiet hours, asked as the core words it; an answer resends the same message. */
function QuestionDialog({ question, pending, onAnswer, onCancel }: { question: Question; pending: boolean; onAnswer: (a: Answer) => void; onCancel: () => void }) {
  const view = questionView(question, formatSendTime);
  const button = (c: Choice) => (
    <button key={c.id} type="button" class={`btn ${TONE[c.tone]}`} onClick={() => (c.answer ? onAnswer(c.answer) : onCancel())} {...choiceAttributes(c, pending)}>
      {c.label}
    </button>
  );
  return (
    <Modal title={view.title} onClose={onCancel} busy={pending} testId={view.testId} actions={view.choices.map(button)}>
      <p>{view.message}</p>
      {view.note && <p class="muted small">{view.note}</p>}
    </Modal>
  );
}

export function LockIcon() {
  return (
    <svg class="lock-icon" width="12" height="12" viewBox="0 0 16 16" aria-hidden="true" focusable="false">
      <path fill="currentColor" d="M5 7V5a3 3 0 0 1 6 0v2h.5A1.5 1.5 0 0 1 13 8.5v5a1.5 1.5 0 0 1-1.5 1.5h-7A1.5 1.5 0 0 1 3 13.5v-5A1.5 1.5 0 0 1 4.5 7H5zm1.5 0h3V5a1.5 1.5 0 0 0-3 0v2z" />
    </svg>
  );
}

const NOTE = { muted: 'composer-preview small', warn: 'alert alert-warning composer-note', error: 'alert alert-error composer-note' } as const;
const TONE = { plain: 'btn-secondary', primary: 'btn-primary', danger: 'btn-danger' } as const;

/** Why nothing can be sent here: the number was released, or the patient opted out of it. */
function blockOf(c: OpenConversation): Problem | null {
  if (c.readOnly) return problemOf({ reason: 'number_released', message: c.readOnly });
  if (c.optOut) {
    const message = optedOutMessage({ who: c.patient ? patientLabel(c.patient) : undefined, keyword: c.optOut.keyword, number: c.number?.display, on: formatDate(c.optOut.at) });
    return problemOf({ reason: 'opted_out', message });
  }
  return null;
}

/** Disabled, saying why and what to do instead; it opens again when the reason goes (START). */
function ClosedComposer({ conversation, problem }: { conversation: OpenConversation; problem: Problem }) {
  return (
    <div class="composer composer-closed" data-testid="composer">
      <label for="composer-text" class="visually-hidden">
        Message to {patientName(conversation)}
      </label>
      <textarea id="composer-text" rows={2} value="" placeholder="Texting is not available in this conversation." disabled aria-describedby="composer-closed" data-testid="composer-text" />
      <div class="alert alert-warning composer-note" role="status" id="composer-closed" data-testid="composer-closed" data-reason={problem.reason ?? ''}>
        {problem.text}
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

function patientName(conversation: OpenConversation): string {
  if (conversation.kind === 'internal' && conversation.participants) return internalChatName(conversation.participants, signedIn.value?.user.id);
  return conversation.patient ? patientLabel(conversation.patient) : 'the patient';
}
