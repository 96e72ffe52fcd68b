import { type Answer, answered, CHANNEL_LABELS, type Channel, channelChoice, notificationNotice, composerNotes, type Choice, choiceAttributes, type ComposeState, dismissed, edited, insertAt, outgoing, problemOf, type Question, questionView, refused, sendRequest, sent, sentNotice, startComposing, templateAsksConfirmation, templateData } from '@caretext/shared/composing';
import { DEFAULT_CONFIRMATION_WORDS } from '@caretext/shared/confirmation';
import { TEMPLATE_TOKENS } from '@caretext/shared/template';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ATTACHMENT_MAX_BYTES, type PatientSummary, type PatientView } from '../views';
import { ask } from './bridge';
import { Dialog } from './Dialog';
import { type DraftFile, DraftFiles, PaperclipIcon, readAsBase64, tooLarge } from './files';
import { formatTime } from './format';
import { byPerson } from './person-action';

type Props = {
  patient: PatientSummary;
  view: PatientView;
  onTeam(teamId: string): void;
  onSent(): void;
  /** A refusal says the patient's state changed (e.g. opted out): reload the view. */
  onStale(): void;
};

/**
 * The sidebar's view of the shared composing core (as the web Inbox's): SMS or Secure Chat with
 * the reason one is not available, templates and tokens, what goes out and its count, the
 * confirmation request, the PHI guard and quiet hours. Drafts are kept per patient; a send
 * while offline goes to the outbox.
 */
export function Composer({ patient, view, onTeam, onSent, onStale }: Props) {
  const [state, setState] = useState<ComposeState>(() => startComposing(view.draft));
  const [pending, setPending] = useState(false);
  const [info, setInfo] = useState<string | null>(null);
  const [showTokens, setShowTokens] = useState(false);
  const [files, setFiles] = useState<DraftFile[]>([]);
  const fileInput = useRef<HTMLInputElement>(null);
  // Set synchronously: a second click in the same moment finds it before any re-render.
  const inFlight = useRef(false);
  const area = useRef<HTMLTextAreaElement>(null);
  const draftTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const latest = useRef(state.text);
  latest.current = state.text;

  // Leaving the patient (or the page) saves what was typed.
  useEffect(
    () => () => {
      if (draftTimer.current) {
        clearTimeout(draftTimer.current);
        void ask({ type: 'draft.save', patientId: patient.id, body: latest.current });
      }
    },
    [],
  );

  const words = view.confirmationWords ?? DEFAULT_CONFIRMATION_WORDS;
  const sms = view.availability?.sms;
  const choice = channelChoice(view.availability);
  const channel: Channel = state.channel ?? choice.preferred ?? 'sms';
  const current: ComposeState = { ...state, channel };
  // Why SMS is not possible (opted out, landline, no number…), with what to do instead.
  const smsProblem = sms && !sms.available ? problemOf({ reason: sms.blockedBy ?? null, message: sms.reason ?? 'SMS is not available for this patient.' }) : null;
  // Closed only when no channel is left: Secure Chat stays open where SMS is not possible.
  const blocked = channel === 'sms' || !choice.offered.includes('secure') ? smsProblem : null;
  // {{phone}} as the background formatted it (the sidebar carries no phone metadata).
  const out = outgoing(current, { words, template: templateData(patient, view.orgName), formatPhone: (e164) => (e164 === patient.phone && patient.phoneDisplay) || e164 });

  const secureFiles = channel === 'secure' && choice.offered.includes('secure');
  const readyIds = files.filter((f) => f.status === 'ready').map((f) => f.id!);
  const uploading = files.some((f) => f.status === 'uploading');
  const canSend = Boolean(state.text.trim()) || (secureFiles && readyIds.length > 0);

  /**
   * Attach: each file goes at once to the background (which alone holds the session) and on to
   * the server, shown as a chip with its state; one too large is refused here before reading it.
   */
  function addFiles(list: FileList | null) {
    if (!list || !secureFiles || !view.teamId) return;
    const teamId = view.teamId;
    for (const file of Array.from(list)) {
      const key = `${Date.now()}-${Math.random()}`;
      const patch = (change: Partial<DraftFile>) => setFiles((all) => all.map((f) => (f.key === key ? { ...f, ...change } : f)));
      const name = file.name || 'file';
      if (file.size > ATTACHMENT_MAX_BYTES) {
        setFiles((all) => [...all, { key, name, size: file.size, status: 'error', error: tooLarge() }]);
        continue;
      }
      setFiles((all) => [...all, { key, name, size: file.size, status: 'uploading' }]);
      void readAsBase64(file)
        .then((data) => ask({ type: 'attachment.upload', patientId: patient.id, teamId, name, data }))
        .then(
          (answer) => patch(answer.ok ? { status: 'ready', id: answer.value.id, name: answer.value.fileName, size: answer.value.size } : { status: 'error', error: answer.error.message }),
          () => patch({ status: 'error', error: 'The file could not be read. Attach it again.' }),
        );
    }
  }

  function edit(change: { text?: string; requestsConfirmation?: boolean; channel?: Channel }) {
    setState((s) => edited(s, change));
    setInfo(null);
    if (change.text === undefined) return;
    const body = change.text;
    if (draftTimer.current) clearTimeout(draftTimer.current);
    draftTimer.current = setTimeout(() => {
      draftTimer.current = null;
      void ask({ type: 'draft.save', patientId: patient.id, body });
    }, 400);
  }

  function insert(snippet: string, asksConfirmation = false) {
    const el = area.current;
    const { text, cursor } = insertAt(state.text, el && { start: el.selectionStart, end: el.selectionEnd }, snippet);
    edit(asksConfirmation ? { text, requestsConfirmation: true } : { text });
    requestAnimationFrame(() => {
      el?.focus();
      el?.setSelectionRange(cursor, cursor);
    });
  }

  async function send(answer?: Answer) {
    const next = answer ? answered(current, answer) : current;
    if (uploading) return;
    const request = sendRequest(next, next.channel === 'secure' ? readyIds : []);
    if (!request || inFlight.current || !view.teamId || blocked) return;
    inFlight.current = true;
    setPending(true);
    setState({ ...next, problem: null });
    const reply = await ask({ type: 'message.send', patientId: patient.id, teamId: view.teamId, ...request });
    inFlight.current = false;
    setPending(false);
    if (reply.ok) {
      if (request.attachmentIds) setFiles((all) => all.filter((f) => !request.attachmentIds!.includes(f.id ?? '')));
      if (draftTimer.current) clearTimeout(draftTimer.current);
      draftTimer.current = null;
      setState(sent(undefined, next.channel));
      const r = reply.value;
      const told = r.status === 'sent' ? notificationNotice(r.notification, (e164) => (e164 === patient.phone && patient.phoneDisplay) || e164, formatTime) : null;
      setInfo(told?.text ?? sentNotice({ queuedOffline: r.status === 'queued', sendAfter: r.status === 'sent' ? r.sendAfter : null }, formatTime));
      onSent();
      return;
    }
    const after = refused(next, reply.error);
    setState(after);
    if (after.problem?.blocksComposer) onStale();
  }

  const sendClick = (e: Event, answer?: Answer) => byPerson(e) && void send(answer);

  if (!view.teams.length) {
    return (
      <div class="composer">
        <p class="note" data-testid="no-team">
          You are not on a team yet, so there is no number to text from. An admin can add you under Directory → Teams.
        </p>
      </div>
    );
  }

  return (
    <div class="composer" data-testid="composer">
      <div class="channels" role="group" aria-label="Channel">
        {(['secure', 'sms'] as const).map((c) => (
          <button
            key={c}
            type="button"
            class={`channel${channel === c && choice.offered.includes(c) ? ' on' : ''}`}
            aria-pressed={channel === c && choice.offered.includes(c)}
            disabled={!choice.offered.includes(c) || pending}
            title={(c === 'sms' ? choice.smsUnavailable : view.availability?.secure.reason) ?? undefined}
            onClick={() => edit({ channel: c })}
            data-testid={`channel-${c}`}
          >
            {c === 'secure' ? '🔒 ' : ''}
            {CHANNEL_LABELS[c]}
          </button>
        ))}
        {view.teams.length > 1 && (
          <select aria-label="Send from team" value={view.teamId ?? ''} onChange={(e) => onTeam(e.currentTarget.value)} data-testid="team-picker">
            {view.teams.map((t) => (
              <option key={t.id} value={t.id}>
                {t.name}
                {t.number ? ` · ${t.number}` : ''}
              </option>
            ))}
          </select>
        )}
      </div>
      {(blocked ?? (channel === 'secure' ? smsProblem : null)) && (
        <p class="note warn small" role="status" data-testid="sms-unavailable" data-reason={smsProblem?.reason ?? ''}>
          {blocked ? blocked.text : `SMS is not available: ${smsProblem!.message} Secure Chat still reaches them.`}
        </p>
      )}
      {showTokens && !blocked && (
        <div class="tokens">
          {TEMPLATE_TOKENS.map((t) => (
            <button key={t.key} type="button" class="token" title={`${t.label}, e.g. ${t.example}`} onClick={() => insert(t.token)}>
              {t.token}
            </button>
          ))}
        </div>
      )}
      <textarea
        ref={area}
        value={state.text}
        rows={3}
        disabled={Boolean(blocked)}
        aria-label={`Message to ${patient.displayName}`}
        placeholder={blocked ? 'Texting is not available for this patient.' : `${channel === 'secure' ? 'Secure message to' : 'Text'} ${patient.displayName}… (Ctrl+Enter to send)`}
        onInput={(e) => edit({ text: e.currentTarget.value })}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
            e.preventDefault();
            sendClick(e);
          }
        }}
        data-testid="composer-text"
      />
      {secureFiles ? (
        <DraftFiles files={files} disabled={pending} onRemove={(key) => setFiles((all) => all.filter((f) => f.key !== key))} />
      ) : (
        files.length > 0 && (
          <p class="note small muted" data-testid="files-not-sms">
            Files go only by Secure Chat: switch back to Secure Chat to send them.
          </p>
        )
      )}
      {composerNotes(current, out).map((n) => (
        <p key={n.id} class={`note small ${n.tone}`} role={n.alert ? 'alert' : 'status'} data-testid={n.id} data-reason={n.reason ?? undefined}>
          {n.text}
        </p>
      ))}
      {info && (
        <p class="note small" role="status" data-testid="send-info">
          {info}
        </p>
      )}
      <div class="bar">
        {secureFiles && (
          <>
            <input
              ref={fileInput}
              type="file"
              multiple
              hidden
              tabIndex={-1}
              onChange={(e) => {
                addFiles(e.currentTarget.files);
                e.currentTarget.value = '';
              }}
              data-testid="attach-input"
            />
            <button type="button" class="btn small attach" onClick={() => fileInput.current?.click()} disabled={pending} title={`Attach photos or PDFs (up to ${Math.round(ATTACHMENT_MAX_BYTES / 1024 / 1024)} MB each)`} data-testid="attach-button">
              <PaperclipIcon /> Attach
            </button>
          </>
        )}
        {view.templates.length > 0 && (
          <select
            aria-label="Insert a template"
            value=""
            disabled={Boolean(blocked)}
            onChange={(e) => {
              const chosen = view.templates.find((t) => t.id === e.currentTarget.value);
              e.currentTarget.value = '';
              if (chosen) insert(chosen.body, templateAsksConfirmation(chosen, words));
            }}
            data-testid="template-picker"
          >
            <option value="">Templates…</option>
            {view.templates.map((t) => (
              <option key={t.id} value={t.id}>
                {t.team ? `${t.name} (${t.team})` : t.name}
              </option>
            ))}
          </select>
        )}
        <button type="button" class="btn small" aria-pressed={showTokens} disabled={Boolean(blocked)} title="Insert a personalization token" onClick={() => setShowTokens(!showTokens)} data-testid="toggle-tokens">
          {'{{ }}'} Tokens
        </button>
      </div>
      <label class="confirm small">
        <input type="checkbox" checked={state.requestsConfirmation} disabled={Boolean(blocked)} onChange={(e) => edit({ requestsConfirmation: e.currentTarget.checked })} data-testid="ask-confirm" />
        Ask the patient to confirm ({words.confirm[0]}/{words.decline[0]})
      </label>
      {out.adds && (
        <p class="adds small muted" data-testid="confirm-adds">
          Adds: {out.adds}
        </p>
      )}
      <div class="bar">
        <span class="grow counter" data-testid="composer-counter">
          {out.smsLine ?? 'Secure Chat · no SMS segments'}
        </span>
        <button type="button" class="btn primary" onClick={(e) => sendClick(e)} disabled={pending || uploading || !canSend || Boolean(blocked) || !choice.offered.includes(channel)} aria-busy={pending || uploading} data-testid="send-button">
          {pending ? 'Sending…' : uploading ? 'Uploading…' : channel === 'secure' ? 'Send secure' : 'Send SMS'}
        </button>
      </div>
      {state.asked && <QuestionDialog question={state.asked} pending={pending} onAnswer={sendClick} onCancel={() => setState(dismissed)} />}
    </div>
  );
}

/** PHI or quiet hours, as the core asks it; an answer resends the same message (same key). */
function QuestionDialog({ question, pending, onAnswer, onCancel }: { question: Question; pending: boolean; onAnswer(e: Event, a: Answer): void; onCancel(): void }) {
  const view = questionView(question, formatTime);
  const choose = (e: Event, c: Choice) => (c.answer ? onAnswer(e, c.answer) : onCancel());
  const buttons = view.choices.map((c) => (
    <button key={c.id} type="button" class={TONE[c.tone]} onClick={(e) => choose(e, c)} {...choiceAttributes(c, pending)}>
      {c.label}
    </button>
  ));
  return (
    <Dialog title={view.title} testId={view.testId} onClose={onCancel} actions={buttons}>
      <p>{view.message}</p>
      {view.note && <p class="small muted">{view.note}</p>}
    </Dialog>
  );
}

const TONE = { plain: 'btn', primary: 'btn primary', danger: 'btn danger' } as const;
