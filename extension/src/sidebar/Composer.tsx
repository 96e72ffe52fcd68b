import { describePhi, detectPhi } from '@caretext/shared/phi-guard';
import { estimateSmsCost } from '@caretext/shared/sms-cost';
import { smsSegments } from '@caretext/shared/sms-segments';
import { TEMPLATE_TOKENS } from '@caretext/shared/template';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { PatientSummary, PatientView } from '../views';
import { ask } from './bridge';
import { Dialog } from './Dialog';
import { formatTime, newIdempotencyKey } from './format';
import { byPerson } from './person-action';

type Asked = { kind: 'phi'; message: string } | { kind: 'quiet'; message: string; nextSendTime: string | null };
type Flags = { confirmPhi?: boolean; quietHours?: 'send_now' | 'schedule' };

/** "142 / 160 · 1 segment · GSM-7 · ≈ $0.01", as the web composer shows it. */
function counter(text: string): string {
  const info = smsSegments(text);
  const capacity = info.perSegment * Math.max(1, info.segments);
  const cost = info.segments ? ` · ≈ ${estimateSmsCost({ segments: info.segments, recipients: 1, channel: 'sms' }).display}` : '';
  return `${info.unitsUsed} / ${capacity} · ${info.segments} segment${info.segments === 1 ? '' : 's'} · ${info.encoding}${cost}`;
}

/**
 * The same rules as the web app's composer: SMS or Secure Chat with the reason one is not
 * available, templates and tokens, a live segment count, the PHI guard and quiet hours (both
 * asked by the server, answered here). Drafts are kept per patient; a send while offline goes
 * to the outbox. The channel row is where Secure Chat (and blast actions) will plug in.
 */
export function Composer({ patient, view, onTeam, onSent }: { patient: PatientSummary; view: PatientView; onTeam(teamId: string): void; onSent(): void }) {
  const [text, setText] = useState(view.draft);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<{ message: string; reason: string | null } | null>(null);
  const [info, setInfo] = useState<string | null>(null);
  const [asked, setAsked] = useState<Asked | null>(null);
  const [showTokens, setShowTokens] = useState(false);
  const area = useRef<HTMLTextAreaElement>(null);
  // One key per composed message: a retry (double click, lost answer, reconnect) never sends it twice.
  const key = useRef(newIdempotencyKey());
  const flags = useRef<Flags>({});
  const draftTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const latest = useRef(text);
  latest.current = text;

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

  const sms = view.availability?.sms;
  const secure = view.availability?.secure;
  const phi = detectPhi(text);

  function edit(next: string) {
    setText(next);
    key.current = newIdempotencyKey();
    flags.current = {};
    setError(null);
    setInfo(null);
    if (draftTimer.current) clearTimeout(draftTimer.current);
    draftTimer.current = setTimeout(() => {
      draftTimer.current = null;
      void ask({ type: 'draft.save', patientId: patient.id, body: next });
    }, 400);
  }

  function insert(snippet: string) {
    const el = area.current;
    const [start, end] = el ? [el.selectionStart, el.selectionEnd] : [text.length, text.length];
    edit(text.slice(0, start) + snippet + text.slice(end));
    requestAnimationFrame(() => {
      el?.focus();
      el?.setSelectionRange(start + snippet.length, start + snippet.length);
    });
  }

  async function send(extra: Flags = {}) {
    const body = text.trim();
    if (!body || pending || !view.teamId) return;
    setPending(true);
    setError(null);
    flags.current = { ...flags.current, ...extra };
    const answer = await ask({ type: 'message.send', patientId: patient.id, teamId: view.teamId, body, idempotencyKey: key.current, ...flags.current });
    setPending(false);
    if (answer.ok) {
      if (draftTimer.current) clearTimeout(draftTimer.current);
      draftTimer.current = null;
      setAsked(null);
      setText('');
      key.current = newIdempotencyKey();
      flags.current = {};
      const r = answer.value;
      setInfo(r.status === 'queued' ? 'Saved to the outbox: it goes out once CareText is reachable again.' : r.sendAfter ? `Scheduled for ${formatTime(r.sendAfter)}, when quiet hours end.` : null);
      onSent();
      return;
    }
    const { reason, message, details } = answer.error;
    if (reason === 'phi') setAsked({ kind: 'phi', message });
    else if (reason === 'quiet_hours') setAsked({ kind: 'quiet', message, nextSendTime: typeof details.nextSendTime === 'string' ? details.nextSendTime : null });
    else {
      setAsked(null);
      setError({ message, reason });
    }
  }

  const sendClick = (e: Event, extra?: Flags) => byPerson(e) && void send(extra);

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
        <button type="button" class={`channel${sms?.available ? ' on' : ''}`} aria-pressed={Boolean(sms?.available)} disabled={!sms?.available} title={sms?.reason ?? undefined}>
          SMS
        </button>
        <button type="button" class="channel" aria-pressed={false} disabled={!secure?.available} title={secure?.reason ?? undefined} data-testid="channel-secure">
          Secure Chat{secure?.available ? '' : ' (soon)'}
        </button>
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
      {sms && !sms.available && (
        <p class="note warn small" data-testid="sms-unavailable">
          {sms.reason}
        </p>
      )}
      {showTokens && (
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
        value={text}
        rows={3}
        aria-label={`Message to ${patient.displayName}`}
        placeholder={`Text ${patient.displayName}… (Ctrl+Enter to send)`}
        onInput={(e) => edit(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
            e.preventDefault();
            sendClick(e);
          }
        }}
        data-testid="composer-text"
      />
      {phi.length > 0 && (
        <p class="note warn small" role="status" data-testid="phi-warning">
          {describePhi(phi)} <span class="muted">Secure Chat is coming soon.</span>
        </p>
      )}
      {error && (
        <p class="note error small" role="alert" data-testid="send-error" data-reason={error.reason ?? ''}>
          {error.message}
        </p>
      )}
      {info && (
        <p class="note small" role="status" data-testid="send-info">
          {info}
        </p>
      )}
      <div class="bar">
        {view.templates.length > 0 && (
          <select
            aria-label="Insert a template"
            value=""
            onChange={(e) => {
              const chosen = view.templates.find((t) => t.id === e.currentTarget.value);
              e.currentTarget.value = '';
              if (chosen) insert(chosen.body);
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
        <button type="button" class="btn small" aria-pressed={showTokens} title="Insert a personalization token" onClick={() => setShowTokens(!showTokens)} data-testid="toggle-tokens">
          {'{{ }}'} Tokens
        </button>
      </div>
      <div class="bar">
        <span class="grow counter" data-testid="composer-counter">
          {counter(text)}
        </span>
        <button type="button" class="btn primary" onClick={(e) => sendClick(e)} disabled={pending || !text.trim() || !sms?.available} data-testid="send-button">
          {pending ? 'Sending…' : 'Send SMS'}
        </button>
      </div>

      {asked?.kind === 'phi' && (
        <Dialog
          title="This looks like PHI"
          testId="phi-dialog"
          onClose={() => setAsked(null)}
          actions={
            <>
              <button type="button" class="btn" onClick={() => setAsked(null)} data-autofocus>
                Cancel
              </button>
              <button type="button" class="btn" disabled title="Secure Chat is coming soon">
                Send as Secure Chat (soon)
              </button>
              <button type="button" class="btn danger" onClick={(e) => sendClick(e, { confirmPhi: true })} disabled={pending} data-testid="phi-send-anyway">
                Send as SMS anyway
              </button>
            </>
          }
        >
          <p>{asked.message}</p>
          <p class="small muted">Sending PHI by plain SMS is a HIPAA violation. Send it anyway only if you are sure it contains none.</p>
        </Dialog>
      )}
      {asked?.kind === 'quiet' && (
        <Dialog
          title="It's quiet hours for this patient"
          testId="quiet-hours-dialog"
          onClose={() => setAsked(null)}
          actions={
            <>
              <button type="button" class="btn" onClick={() => setAsked(null)}>
                Cancel
              </button>
              <button type="button" class="btn" onClick={(e) => sendClick(e, { quietHours: 'send_now' })} disabled={pending} data-testid="quiet-send-now">
                Send now anyway
              </button>
              <button type="button" class="btn primary" onClick={(e) => sendClick(e, { quietHours: 'schedule' })} disabled={pending} data-autofocus data-testid="quiet-schedule">
                {asked.nextSendTime ? `Schedule for ${formatTime(asked.nextSendTime)}` : 'Schedule for when quiet hours end'}
              </button>
            </>
          }
        >
          <p>{asked.message}</p>
        </Dialog>
      )}
    </div>
  );
}
