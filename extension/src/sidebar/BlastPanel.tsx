import { applyToken, BLAST_STATUS_LABELS, renderedSummary, renderSample, tokenMatches, tokenQuery } from '@caretext/shared/blast-compose';
import { newIdempotencyKey } from '@caretext/shared/composing';
import { PHI_KIND_LABEL, type PhiFinding } from '@caretext/shared/phi-guard';
import type { ComponentChildren } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { Failure } from '../protocol';
import type { BlastPreviewView, BlastProgressView, BlastSetupView } from '../views';
import { ask } from './bridge';
import { byPerson } from './person-action';

/** How often the progress view reads the blast again (tests shorten it). */
export const BLAST_POLL = { ms: 2000, debounceMs: 300 };
/** After completion, delivery reports may still move Sent to Failed: read again for at most this long. */
const LATE_REPORTS_MS = 10 * 60_000;

type Load<T> = { state: 'loading' } | { state: 'done'; value: T } | { state: 'error'; error: Failure };

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString()} ${n === 1 ? one : many}`;
/** What a send or test answered appears under the preview: scrolled into view (the panel is short). */
const reveal = (el: HTMLElement | null) => el?.scrollIntoView?.({ block: 'nearest' });
const openTab = (e: Event, url: string) => byPerson(e) && void window.open(url, '_blank', 'noopener');

/**
 * "Blast" in the sidebar (issue 13, "Launching from the EHR"): a compact wizard to a saved
 * cohort (send-from team, cohorts, name, message with @ tokens and templates, the counts and
 * cost, the same Send preview as the web wizard, Send Test to Me, the PHI confirmation), then
 * the blast's progress, with its results in the web app. It runs in the sidebar frame (the
 * extension's origin); every call goes through the background, and the server decides who may
 * send from which number.
 */
export function BlastPanel({ onClose, children }: { onClose(): void; children?: ComponentChildren }) {
  const [setup, setSetup] = useState<Load<BlastSetupView>>({ state: 'loading' });
  const [blast, setBlast] = useState<BlastProgressView | null>(null);
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    let current = true;
    setSetup({ state: 'loading' });
    void ask({ type: 'blast.setup' }).then((a) => current && setSetup(a.ok ? { state: 'done', value: a.value } : { state: 'error', error: a.error }));
    return () => {
      current = false;
    };
  }, [generation]);

  return (
    <div class="scroll" data-testid="blast-panel">
      {children}
      <div class="bar">
        <p class="eyebrow grow">{blast ? 'Blast progress' : 'New blast'}</p>
        <button type="button" class="btn small" onClick={onClose} data-testid="blast-close">
          Close
        </button>
      </div>
      {setup.state === 'loading' && (
        <p class="note" role="status" data-testid="blast-loading">
          Loading your teams and cohorts…
        </p>
      )}
      {setup.state === 'error' && (
        <div class="note error" role="alert" data-testid="blast-setup-error">
          {setup.error.message}{' '}
          <button type="button" class="btn small" onClick={() => setGeneration((g) => g + 1)}>
            Try again
          </button>
        </div>
      )}
      {setup.state === 'done' &&
        (blast ? (
          <BlastProgress initial={blast} onNew={() => setBlast(null)} />
        ) : (
          <BlastWizard setup={setup.value} onSent={setBlast} />
        ))}
    </div>
  );
}

type Phi = { message: string; findings: PhiFinding[] };

function BlastWizard({ setup, onSent }: { setup: BlastSetupView; onSent(blast: BlastProgressView): void }) {
  const [teamId, setTeamId] = useState(setup.teams[0]?.id ?? '');
  const [cohortIds, setCohortIds] = useState<string[]>([]);
  const [name, setName] = useState('');
  const [body, setBody] = useState('');
  // One key per composed blast: a double click or a retry sends it once; any edit is a new blast.
  const [key, setKey] = useState(newIdempotencyKey);
  const [sending, setSending] = useState(false);
  const inFlight = useRef(false);
  const [error, setError] = useState<string | null>(null);
  const [phi, setPhi] = useState<Phi | null>(null);
  const [test, setTest] = useState<{ busy: boolean; text: string | null; error: boolean }>({ busy: false, text: null, error: false });
  const preview = usePreview(teamId, cohortIds);

  if (!setup.teams.length) {
    return (
      <p class="note warn" data-testid="blast-no-team">
        Blasts go out from a team's phone number, and you are on no team with one. An admin can add you to a team with a number under Directory → Phone numbers.
      </p>
    );
  }
  if (!setup.cohorts.length) {
    return (
      <div class="note" data-testid="blast-no-cohorts">
        <p>
          <strong>No cohorts yet.</strong> A blast from the sidebar goes to saved cohorts.
        </p>
        <a href={`${setup.webUrl}/comms/cohorts/new`} target="_blank" rel="noopener noreferrer" data-testid="blast-create-cohort">
          Create a cohort in CareText
        </a>
      </div>
    );
  }

  const changed = () => {
    setKey(newIdempotencyKey());
    setPhi(null);
    setError(null);
  };
  const willSend = preview.state === 'done' ? preview.value.willSend : 0;
  const summary = renderedSummary(body, setup.orgName, willSend);
  const templates = setup.templates.filter((t) => t.team === null || t.team === teamId);
  const audience = { teamId, cohortIds };

  async function send(e: Event, confirmPhi: boolean) {
    if (!byPerson(e) || inFlight.current || !body.trim() || !cohortIds.length) return;
    inFlight.current = true;
    setSending(true);
    setError(null);
    const answer = await ask({ type: 'blast.send', ...audience, ...(name.trim() ? { name: name.trim() } : {}), body, idempotencyKey: key, ...(confirmPhi ? { confirmPhi: true } : {}) });
    inFlight.current = false;
    setSending(false);
    if (answer.ok) return onSent(answer.value.blast);
    if (answer.error.reason === 'phi') return setPhi({ message: answer.error.message, findings: (answer.error.details.findings as PhiFinding[] | undefined) ?? [] });
    setPhi(null);
    setError(answer.error.message);
  }

  async function sendTest(e: Event) {
    if (!byPerson(e) || test.busy || !body.trim() || !cohortIds.length) return;
    setTest({ busy: true, text: null, error: false });
    const answer = await ask({ type: 'blast.sendTest', ...audience, body, ...(phi ? { confirmPhi: true } : {}) });
    if (answer.ok) {
      const who = answer.value.samplePatient ? ` (as ${answer.value.samplePatient} would read it)` : '';
      setTest({ busy: false, text: `Test sent to ${answer.value.toDisplay}${who}.`, error: false });
    } else {
      setTest({ busy: false, text: answer.error.message, error: true });
    }
  }

  const team = setup.teams.find((t) => t.id === teamId);
  return (
    <div class="card blast" data-testid="blast-wizard">
      <label class="field">
        <span class="field-label">Send from</span>
        <select
          value={teamId}
          disabled={sending}
          onChange={(e) => {
            setTeamId(e.currentTarget.value);
            changed();
          }}
          data-testid="blast-team"
        >
          {setup.teams.map((t) => (
            <option key={t.id} value={t.id}>
              {t.name} · {t.number}
            </option>
          ))}
        </select>
      </label>
      <fieldset class="field" data-testid="blast-cohorts">
        <legend class="field-label">Cohorts</legend>
        {setup.cohorts.map((c) => (
          <label key={c.id} class="check">
            <input
              type="checkbox"
              checked={cohortIds.includes(c.id)}
              disabled={sending}
              onChange={(e) => {
                const on = e.currentTarget.checked;
                setCohortIds((ids) => (on ? [...ids, c.id] : ids.filter((id) => id !== c.id)));
                changed();
              }}
              data-testid="blast-cohort"
              data-name={c.name}
            />
            <span>
              {c.name} <span class="muted small">({plural(c.patientCount, 'patient')})</span>
            </span>
          </label>
        ))}
        <span class="muted small">A patient in several cohorts gets the message once.</span>
      </fieldset>
      <label class="field">
        <span class="field-label">Name</span>
        <input
          type="text"
          value={name}
          maxLength={200}
          disabled={sending}
          placeholder="Optional: generated from the cohorts"
          onInput={(e) => {
            setName(e.currentTarget.value);
            changed();
          }}
          data-testid="blast-name"
        />
      </label>
      {templates.length > 0 && (
        <select
          aria-label="Insert a template"
          value=""
          disabled={sending}
          onChange={(e) => {
            const t = templates.find((x) => x.id === e.currentTarget.value);
            e.currentTarget.value = '';
            if (t) {
              setBody(t.body);
              changed();
            }
          }}
          data-testid="blast-template"
        >
          <option value="">Templates…</option>
          {templates.map((t) => (
            <option key={t.id} value={t.id}>
              {t.name}
            </option>
          ))}
        </select>
      )}
      <TokenTextarea
        value={body}
        disabled={sending}
        orgName={setup.orgName}
        onChange={(v) => {
          setBody(v);
          changed();
        }}
      />
      <p class="counter" data-testid="blast-counter">
        {summary.line}
        {summary.cost && (
          <>
            {' '}
            · about <strong data-testid="blast-cost">{summary.cost}</strong> for {plural(willSend, 'patient')}
          </>
        )}
      </p>
      {body.trim() && (
        <p class="blast-sample small" data-testid="blast-sample">
          <span class="muted">A sample patient reads: </span>
          {summary.rendered}
        </p>
      )}
      <SendPreview preview={preview} picked={cohortIds.length > 0} />
      {error && (
        <p class="note error small" role="alert" ref={reveal} data-testid="blast-send-error">
          {error}
        </p>
      )}
      {phi && (
        <div class="note warn small" role="alert" ref={reveal} data-testid="blast-phi">
          <p>
            <strong>This message may contain protected health information.</strong> {phi.message}
          </p>
          {phi.findings.length > 0 && (
            <ul class="list-rows">
              {phi.findings.map((f, i) => (
                <li key={i}>
                  “{f.text}”: {PHI_KIND_LABEL[f.kind] ?? f.kind}
                </li>
              ))}
            </ul>
          )}
          <p>It goes to every recipient as an ordinary text message. Edit it, or send it anyway (recorded in the audit log).</p>
          <div class="bar">
            <button type="button" class="btn small" disabled={sending} onClick={() => setPhi(null)} data-testid="blast-phi-edit">
              Edit message
            </button>
            <button type="button" class="btn small danger" disabled={sending} onClick={(e) => void send(e, true)} data-testid="blast-phi-confirm">
              Send anyway
            </button>
          </div>
        </div>
      )}
      {test.text && (
        <p class={test.error ? 'note error small' : 'note small'} role={test.error ? 'alert' : 'status'} ref={reveal} data-testid="blast-test-result">
          {test.text}
        </p>
      )}
      <div class="bar">
        <button type="button" class="btn" disabled={sending || test.busy || !body.trim() || !cohortIds.length} onClick={(e) => void sendTest(e)} data-testid="blast-test">
          {test.busy ? 'Sending test…' : 'Send Test to Me'}
        </button>
        <button
          type="button"
          class="btn primary grow"
          disabled={sending || Boolean(phi) || !body.trim() || !cohortIds.length || preview.state !== 'done' || willSend === 0}
          title={team ? `From ${team.name} (${team.number})` : undefined}
          onClick={(e) => void send(e, false)}
          data-testid="blast-send"
        >
          {sending ? 'Sending…' : `Send to ${plural(willSend, 'patient')}`}
        </button>
      </div>
    </div>
  );
}

/** blasts.preview for the team and cohorts, asked again a moment after either changes. */
function usePreview(teamId: string, cohortIds: string[]): Load<BlastPreviewView> | { state: 'idle' } {
  const [preview, setPreview] = useState<Load<BlastPreviewView> | { state: 'idle' }>({ state: 'idle' });
  const ids = cohortIds.join(',');
  useEffect(() => {
    if (!teamId || !cohortIds.length) return setPreview({ state: 'idle' });
    let current = true;
    setPreview({ state: 'loading' });
    const timer = setTimeout(() => {
      void ask({ type: 'blast.preview', teamId, cohortIds }).then((a) => current && setPreview(a.ok ? { state: 'done', value: a.value } : { state: 'error', error: a.error }));
    }, BLAST_POLL.debounceMs);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [teamId, ids]);
  return preview;
}

const PREVIEW_ROWS: [string, keyof BlastPreviewView, string][] = [
  ['Will send', 'willSend', 'Patients who will receive the message.'],
  ['Opted out', 'optedOut', 'Opted out of SMS (via STOP or clinic settings): skipped.'],
  ['No contact info', 'noContactInfo', 'No phone number on file.'],
  ['Landline', 'landline', 'Their number is marked as a landline.'],
  ['Blocked', 'blocked', 'The clinic disabled SMS to them.'],
];

/** The web wizard's Send preview: "Will send" and each skip reason, as the server counts them. */
function SendPreview({ preview, picked }: { preview: ReturnType<typeof usePreview>; picked: boolean }) {
  return (
    <section class="blast-preview" data-testid="blast-preview" aria-live="polite">
      <p class="eyebrow">Send preview</p>
      {!picked ? (
        <p class="muted small">Pick one or more cohorts to see who gets it.</p>
      ) : preview.state === 'error' ? (
        <p class="note error small" role="alert" data-testid="blast-preview-error">
          {preview.error.message}
        </p>
      ) : preview.state !== 'done' ? (
        <p class="muted small">Counting…</p>
      ) : (
        <>
          <dl class="facts blast-breakdown">
            {PREVIEW_ROWS.map(([label, key, hint]) => (
              <div key={key} class={key === 'willSend' ? 'main' : ''} title={hint} data-testid={`preview-${key}`}>
                <dt>{label}</dt>
                <dd>{preview.value[key].toLocaleString()}</dd>
              </div>
            ))}
          </dl>
          <p class="muted small">{plural(preview.value.total, 'patient')} in the selected cohorts, each counted once.</p>
        </>
      )}
    </section>
  );
}

/** The message box: typing @ offers the personalization tokens (arrows, Enter or Tab, Escape). */
export function TokenTextarea({ value, onChange, disabled, orgName }: { value: string; onChange(value: string): void; disabled: boolean; orgName: string }) {
  const ref = useRef<HTMLTextAreaElement>(null);
  const [menu, setMenu] = useState<{ start: number; cursor: number; query: string } | null>(null);
  const [active, setActive] = useState(0);
  const matches = menu ? tokenMatches(menu.query) : [];
  // Where the cursor goes once the chosen token is in: placed right after that render, before
  // the next keystroke is handled (a frame later, keys typed at once went to the wrong place).
  const cursorAfterRender = useRef<number | null>(null);
  useLayoutEffect(() => {
    const at = cursorAfterRender.current;
    if (at === null || !ref.current) return;
    cursorAfterRender.current = null;
    ref.current.focus();
    ref.current.setSelectionRange(at, at);
  });

  function choose(i: number) {
    const token = matches[i];
    if (!menu || !token) return;
    const next = applyToken(value, menu, token.token);
    onChange(next.text);
    setMenu(null);
    cursorAfterRender.current = next.cursor;
  }
  function onKeyDown(e: KeyboardEvent) {
    if (!menu || matches.length === 0) return;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      setActive((a) => (a + (e.key === 'ArrowDown' ? 1 : matches.length - 1)) % matches.length);
    } else if (e.key === 'Enter' || e.key === 'Tab') {
      e.preventDefault();
      choose(active);
    } else if (e.key === 'Escape') {
      e.preventDefault();
      setMenu(null);
    }
  }
  return (
    <div class="token-textarea field">
      <span class="field-label">Message</span>
      <textarea
        ref={ref}
        rows={4}
        value={value}
        disabled={disabled}
        aria-label="Message"
        placeholder="Type your message. Type @ to personalize it (first name, organization name…)."
        onInput={(e) => {
          const text = e.currentTarget.value;
          onChange(text);
          const q = tokenQuery(text, e.currentTarget.selectionStart ?? text.length);
          setMenu(q ? { start: q.start, cursor: e.currentTarget.selectionStart ?? text.length, query: q.query } : null);
          setActive(0);
        }}
        onKeyDown={onKeyDown}
        onBlur={() => setTimeout(() => setMenu(null), 150)}
        aria-haspopup="listbox"
        aria-expanded={matches.length > 0}
        data-testid="blast-body"
      />
      {menu && matches.length > 0 && (
        <ul class="token-menu" role="listbox" data-testid="token-menu">
          {matches.map((t, i) => (
            <li
              key={t.key}
              role="option"
              aria-selected={i === active}
              class={i === active ? 'active' : ''}
              onMouseDown={(e) => {
                e.preventDefault();
                choose(i);
              }}
              data-testid={`token-option-${t.key}`}
            >
              <span>{t.label}</span> <span class="muted small">{renderSample(t.token, orgName)}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

const STATS: [string, keyof BlastProgressView['stats']][] = [
  ['Total', 'total'],
  ['Sent', 'sent'],
  ['Failed', 'failed'],
  ['Skipped', 'skipped'],
];

/** The blast as it goes out, read again until every message has left (and late delivery reports are in). */
function BlastProgress({ initial, onNew }: { initial: BlastProgressView; onNew(): void }) {
  const [blast, setBlast] = useState(initial);
  const [error, setError] = useState<string | null>(null);
  const since = useRef(Date.now());

  const settled = (b: BlastProgressView) => b.status === 'canceled' || b.status === 'scheduled' || (b.status === 'completed' && (b.stats.awaitingReport === 0 || Date.now() - since.current > LATE_REPORTS_MS));
  useEffect(() => {
    if (settled(blast)) return;
    let current = true;
    const timer = setTimeout(() => {
      void ask({ type: 'blast.progress', blastId: blast.id }).then((a) => {
        if (!current) return;
        if (a.ok) {
          setBlast(a.value);
          setError(null);
        } else {
          // Keep reading: the numbers stay as last seen, with why they may be stale.
          setError(a.error.message);
          setBlast((b) => ({ ...b }));
        }
      });
    }, BLAST_POLL.ms);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [blast]);

  const s = blast.stats;
  const inFlight = s.queued;
  return (
    <div class="card blast" data-testid="blast-progress">
      <h2 data-testid="blast-progress-name">{blast.name}</h2>
      <p class="small">
        <span class={`chip${blast.status === 'completed' ? ' ok' : blast.status === 'canceled' ? ' bad' : ''}`} data-testid="blast-status">
          {BLAST_STATUS_LABELS[blast.status] ?? blast.status}
        </span>
        {blast.status === 'sending' && inFlight > 0 && <span class="muted"> {plural(inFlight, 'message')} on the way</span>}
      </p>
      <div class="blast-cards" role="group" aria-label="Delivery summary">
        {STATS.map(([label, key]) => (
          <div key={key} class="blast-card" data-testid={`blast-stat-${key}`}>
            <strong>{s[key].toLocaleString()}</strong>
            <span class="muted small">{label}</span>
          </div>
        ))}
      </div>
      {error && (
        <p class="note warn small" role="status" data-testid="blast-progress-error">
          {error} The numbers above are the last ones read.
        </p>
      )}
      <button type="button" class="btn primary block" onClick={(e) => openTab(e, blast.resultsUrl)} data-testid="blast-open-results">
        Open results
      </button>
      <button type="button" class="btn block" onClick={onNew} data-testid="blast-new">
        New blast
      </button>
    </div>
  );
}
