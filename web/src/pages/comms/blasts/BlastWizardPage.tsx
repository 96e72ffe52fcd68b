import { formatPhoneForDisplay, newIdempotencyKey, PHI_KIND_LABEL, type PhiFinding, renderTemplate } from '@caretext/shared';
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { EmptyState, ErrorState, Loading } from '../../../components/states';
import { errorMessage } from '../../../lib/errors';
import { type QueryState, useQuery } from '../../../lib/query';
import { currentOrg } from '../../../lib/session';
import { type RouterOutputs, trpc } from '../../../lib/trpc';
import { refusalOf } from '../../inbox/composing';
import { type BlastImage, BlastImagePicker, SampleImages } from './BlastImages';
import { applyToken, BLAST_CHANNELS, renderedSummary, samplePatient, tokenMatches, tokenQuery } from './blast-compose';

type Preview = RouterOutputs['blasts']['preview'];
type Selection = RouterOutputs['blasts']['selection'];
type Cohort = RouterOutputs['cohorts']['list'][number];
type Template = RouterOutputs['templates']['list'][number];
/** `patientIds`: a blast to patients picked by hand (Bulk Text, ?patients=) instead of cohorts. */
export type BlastDraft = { name: string; teamId: string; cohortIds: string[]; patientIds?: string[]; body: string; marketing: boolean; images?: BlastImage[] };

export const PREVIEW_DEBOUNCE_MS = 300;
/** The most patient ids `?patients=` takes (a contract: the extension's "Text these N patients" opens it). */
export const MAX_URL_PATIENTS = 200;

/** `?patients=id1,id2,...`: the ids, each once, or why they cannot be used. */
export function patientsParam(raw: string | undefined): { ids: string[]; error: string | null } {
  const ids = [...new Set((raw ?? '').split(',').map((id) => id.trim()).filter((id) => id && id.length <= 64))];
  if (ids.length > MAX_URL_PATIENTS) return { ids: [], error: `A link can name at most ${MAX_URL_PATIENTS} patients; this one names ${ids.length.toLocaleString()}. Build a cohort for a larger audience.` };
  return { ids, error: null };
}

/** The audience part of preview, send and Send Test: the selected patients, else the cohorts. */
export function audienceOf(draft: Pick<BlastDraft, 'cohortIds' | 'patientIds'>): { cohortIds: string[] } | { patientIds: string[] } {
  return draft.patientIds?.length ? { patientIds: draft.patientIds } : { cohortIds: draft.cohortIds };
}

/**
 * /comms/blasts/new (?from=<blastId>: Duplicate, pre-filled from that blast; ?patients=<id1,id2,...>:
 * to those patients, up to MAX_URL_PATIENTS, instead of cohorts).
 */
export function BlastWizardPage() {
  const { query } = useLocation();
  const from = query.from;
  const selected = patientsParam(query.patients);
  const numbers = useQuery(() => trpc.numbers.list.query(), []);
  const cohorts = useQuery(() => trpc.cohorts.list.query(), []);
  // Duplicate keeps the images: fresh links to show them (this org's images only), loaded with the blast.
  const original = useQuery(async () => {
    if (!from) return null;
    const blast = await trpc.blasts.get.query({ blastId: from });
    const imageIds = blast.imageIds ?? []; // a server from before MMS sends none
    const images: BlastImage[] = imageIds.length ? await trpc.blasts.images.query({ imageIds }) : [];
    return { ...blast, images };
  }, [from]);
  if (numbers.loading || cohorts.loading || original.loading) return <Loading />;
  const failed = numbers.error ?? cohorts.error ?? original.error;
  if (failed || !numbers.data || !cohorts.data) return <ErrorState message={failed ?? ''} onRetry={() => void Promise.all([numbers.reload(), cohorts.reload(), original.reload()])} />;
  // The team of each number I am on; a blast goes out from its team's number.
  const teams = [...new Map(numbers.data.filter((n) => n.isMine).map((n) => [n.team.id, { id: n.team.id, name: n.team.name, number: n.display, numberId: n.id }])).values()];
  if (selected.error) {
    return (
      <EmptyState title="Too many patients for one link" testId="blast-too-many-patients">
        {selected.error}
      </EmptyState>
    );
  }
  const o = original.data;
  const initial: BlastDraft = o
    ? {
        name: `Copy of ${o.name}`.slice(0, 200),
        teamId: teams.find((t) => t.numberId === o.phoneNumberId)?.id ?? teams.find((t) => t.id === o.teamId)?.id ?? teams[0]?.id ?? '',
        cohortIds: o.cohortIds.filter((id) => cohorts.data!.some((c) => c.id === id)),
        ...(o.patientIds.length ? { patientIds: o.patientIds } : {}),
        body: o.body,
        marketing: o.marketing,
        images: o.images,
      }
    : { name: '', teamId: teams[0]?.id ?? '', cohortIds: [], body: '', marketing: false };
  if (selected.ids.length) initial.patientIds = selected.ids;
  return <BlastWizard key={from ?? query.patients ?? 'new'} teams={teams} cohorts={cohorts.data} initial={initial} />;
}

type TeamOption = { id: string; name: string; number: string };

export function BlastWizard({ teams, cohorts, initial }: { teams: TeamOption[]; cohorts: Cohort[]; initial: BlastDraft }) {
  const { route } = useLocation();
  const org = currentOrg.value;
  const [step, setStep] = useState<'audience' | 'compose'>('audience');
  const [draft, setDraft] = useState<BlastDraft>(initial);
  const [channel, setChannel] = useState<'sms' | 'email'>('sms');
  const [audienceError, setAudienceError] = useState<string | null>(null);
  const set = <K extends keyof BlastDraft>(key: K, value: BlastDraft[K]) => setDraft((d) => ({ ...d, [key]: value }));
  // Patients picked elsewhere (?patients=, Bulk Text, Duplicate): who they are, this org's only.
  const selection = draft.patientIds?.length ? draft.patientIds : null;
  const selected = useQuery(() => (selection ? trpc.blasts.selection.query({ patientIds: selection }) : Promise.resolve(null)), [selection?.join(',') ?? '']);

  if (teams.length === 0) {
    return (
      <EmptyState title="No number to send from" testId="blast-no-number">
        Blasts go out from a team's phone number. An admin can add you to a team with a number under Directory → Phone numbers.
      </EmptyState>
    );
  }
  if (cohorts.length === 0 && !selection) {
    return (
      <EmptyState title="No cohorts yet" testId="blast-no-cohorts">
        A blast is sent to one or more cohorts. <a href="/comms/cohorts/new">Create a cohort</a> first (admins).
      </EmptyState>
    );
  }

  function next(e: Event) {
    e.preventDefault();
    if (!draft.teamId) return setAudienceError('Choose the number to send from.');
    if (!selection && draft.cohortIds.length === 0) return setAudienceError('Select at least one cohort.');
    if (selection && selected.data?.found === 0) return setAudienceError("None of these patients are in your organization's directory (deleted, or never were). Select patients again.");
    setAudienceError(null);
    setStep('compose');
  }

  if (step === 'audience') {
    return (
      <form class="card section stack blast-wizard" onSubmit={next} noValidate data-testid="blast-wizard-audience">
        <div class="section-head">
          <div>
            <h2>New Blast</h2>
            <p class="muted">Step 1 of 2: who gets it, and from which number.</p>
          </div>
        </div>
        <label class="field">
          <span class="field-label">Name</span>
          <input type="text" value={draft.name} maxLength={200} placeholder="Leave blank to auto-generate one" onInput={(e) => set('name', e.currentTarget.value)} data-testid="blast-name" />
        </label>
        <label class="field">
          <span class="field-label">Send from</span>
          <select value={draft.teamId} onChange={(e) => set('teamId', e.currentTarget.value)} data-testid="blast-team">
            {teams.map((t) => (
              <option key={t.id} value={t.id}>
                {t.name} · {t.number}
              </option>
            ))}
          </select>
        </label>
        {selection ? (
          <SelectedPatients ids={selection} selection={selected} />
        ) : (
          <fieldset class="field blast-cohorts" data-testid="blast-cohorts">
            <legend class="field-label">Cohorts</legend>
            <p class="field-hint">A patient in several cohorts gets the message once.</p>
            {cohorts.map((c) => (
              <label key={c.id} class="check">
                <input
                  type="checkbox"
                  checked={draft.cohortIds.includes(c.id)}
                  onChange={(e) => set('cohortIds', e.currentTarget.checked ? [...draft.cohortIds, c.id] : draft.cohortIds.filter((id) => id !== c.id))}
                  data-testid="blast-cohort"
                  data-name={c.name}
                />
                <span>
                  {c.name} <span class="muted small">({c.patientCount.toLocaleString()} patients)</span>
                </span>
              </label>
            ))}
          </fieldset>
        )}
        <fieldset class="field" data-testid="blast-channel">
          <legend class="field-label">Channel</legend>
          <div class="button-row">
            {BLAST_CHANNELS.map((c) => (
              <label key={c.id} class={`check${c.available ? '' : ' muted'}`}>
                <input type="radio" name="channel" checked={channel === c.id} disabled={!c.available} onChange={() => setChannel(c.id)} data-testid={`blast-channel-${c.id}`} />
                <span>
                  {c.label}
                  {c.note && <span class="badge badge-soft">{c.note}</span>}
                </span>
              </label>
            ))}
          </div>
        </fieldset>
        {audienceError && (
          <p class="field-error" role="alert" data-testid="blast-audience-error">
            {audienceError}
          </p>
        )}
        <div class="button-row">
          <a href="/comms/blasts" class="btn btn-secondary">
            Cancel
          </a>
          <button type="submit" class="btn btn-primary" data-testid="blast-next">
            Next: Compose
          </button>
        </div>
      </form>
    );
  }

  return <BlastComposeStep draft={draft} set={set} teams={teams} cohorts={cohorts} orgName={org?.name ?? ''} timeZone={org?.timeZone ?? ''} onBack={() => setStep('audience')} onSent={(id) => route(`/comms/blasts/${id}`)} />;
}

/** When a blast goes: now, or at a local date and time in the org's zone; optionally N per day. */
export type BlastTiming = { when: 'now' | 'later'; date: string; time: string; spread: boolean; perDay: number };

/** The send's timing fields, or a reason it cannot be sent as it stands. */
export function timingInput(t: BlastTiming): { scheduledAt?: string; perDay?: number } | { error: string } {
  if (t.spread && !(Number.isInteger(t.perDay) && t.perDay >= 1)) return { error: 'Enter how many messages to send a day (1 or more).' };
  const perDay = t.spread ? { perDay: t.perDay } : {};
  if (t.when === 'now') return perDay;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(t.date) || !/^\d{2}:\d{2}$/.test(t.time)) return { error: 'Choose the date and time to send it.' };
  return { scheduledAt: `${t.date}T${t.time}`, ...perDay };
}

function tomorrow(): string {
  const d = new Date(Date.now() + 86_400_000);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

function BlastComposeStep({ draft, set, teams, cohorts, orgName, timeZone, onBack, onSent }: {
  draft: BlastDraft;
  set: <K extends keyof BlastDraft>(key: K, value: BlastDraft[K]) => void;
  teams: TeamOption[];
  cohorts: Cohort[];
  orgName: string;
  timeZone: string;
  onBack: () => void;
  onSent: (blastId: string) => void;
}) {
  // One key per wizard: a double click, or a retry after a lost answer, returns the same blast.
  const key = useMemo(() => newIdempotencyKey(), []);
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [phi, setPhi] = useState<{ message: string; findings: PhiFinding[] } | null>(null);
  const [timing, setTiming] = useState<BlastTiming>({ when: 'now', date: tomorrow(), time: '09:00', spread: false, perDay: 500 });
  const [test, setTest] = useState<{ busy: boolean; result: string | null; error: boolean }>({ busy: false, result: null, error: false });
  const preview = useBlastPreview(draft.teamId, audienceOf(draft), draft.marketing);
  const templates = useQuery<Template[]>(() => trpc.templates.list.query({ teamId: draft.teamId }), [draft.teamId]);
  const images = draft.images ?? [];
  const imageIds = images.length ? { imageIds: images.map((i) => i.id) } : {};
  const summary = renderedSummary(draft.body, orgName, preview.data?.willSend ?? 0, images.length);
  const team = teams.find((t) => t.id === draft.teamId);
  // The patients found (ids of deleted patients are counted apart, in the preview).
  const selected = draft.patientIds?.length ? (preview.data?.total ?? draft.patientIds.length) : 0;
  const names = draft.patientIds?.length ? [`${selected.toLocaleString()} selected patient${selected === 1 ? '' : 's'}`] : cohorts.filter((c) => draft.cohortIds.includes(c.id)).map((c) => c.name);

  async function send(confirmPhi: boolean) {
    if (sending) return;
    if (!draft.body.trim()) return setError('Write a message first.');
    const when = timingInput(timing);
    if ('error' in when) return setError(when.error);
    setSending(true);
    setError(null);
    try {
      const { blast } = await trpc.blasts.send.mutate({ teamId: draft.teamId, ...audienceOf(draft), name: draft.name.trim() || undefined, body: draft.body, marketing: draft.marketing, idempotencyKey: key, ...imageIds, ...when, ...(confirmPhi ? { confirmPhi: true } : {}) });
      onSent(blast.id);
    } catch (e) {
      const refusal = refusalOf(e);
      if (refusal?.reason === 'phi') setPhi({ message: refusal.message, findings: (refusal.details?.findings as PhiFinding[] | undefined) ?? [] });
      else setError(errorMessage(e));
      setSending(false);
    }
  }

  async function sendTest() {
    if (!draft.body.trim()) return setError('Write a message first.');
    setTest({ busy: true, result: null, error: false });
    try {
      const r = await trpc.blasts.sendTest.mutate({ teamId: draft.teamId, ...audienceOf(draft), marketing: draft.marketing, body: draft.body, ...imageIds });
      const who = r.samplePatient ? ` (as ${[r.samplePatient.firstName, r.samplePatient.lastName].filter(Boolean).join(' ')} would read it)` : '';
      setTest({ busy: false, result: `Test sent to ${formatPhoneForDisplay(r.to)}${who}.`, error: false });
    } catch (e) {
      setTest({ busy: false, result: errorMessage(e), error: true });
    }
  }

  const later = timing.when === 'later';
  const count = (preview.data?.willSend ?? 0).toLocaleString();
  const patients = `patient${preview.data?.willSend === 1 ? '' : 's'}`;
  return (
    <div class="blast-compose" data-testid="blast-wizard-compose">
      <section class="card section stack">
        <div class="section-head">
          <div>
            <h2>{draft.name.trim() || 'New Blast'}</h2>
            <p class="muted">
              Step 2 of 2 · {images.length ? 'MMS' : 'SMS'} from {team?.name} ({team?.number}) to {names.join(', ')}
            </p>
          </div>
          <button type="button" class="btn btn-secondary" onClick={onBack} disabled={sending} data-testid="blast-back">
            Back
          </button>
        </div>
        {templates.data && templates.data.length > 0 && (
          <label class="field">
            <span class="field-label">Template</span>
            <select
              value=""
              onChange={(e) => {
                const t = templates.data!.find((x) => x.id === e.currentTarget.value);
                if (t) set('body', t.body);
              }}
              data-testid="blast-template"
            >
              <option value="">Insert a template…</option>
              {templates.data.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name}
                </option>
              ))}
            </select>
          </label>
        )}
        <TokenTextarea value={draft.body} onChange={(v) => set('body', v)} disabled={sending} orgName={orgName} />
        <BlastImagePicker images={images} onChange={(next) => set('images', next)} disabled={sending} />
        <p class="muted small" data-testid="blast-counter">
          {summary.line}
          {summary.cost && (
            <>
              {' '}
              · estimated cost <strong data-testid="blast-cost">{summary.cost}</strong> for {(preview.data?.willSend ?? 0).toLocaleString()} patient{preview.data?.willSend === 1 ? '' : 's'}
            </>
          )}
        </p>
        {draft.body.trim() && (
          <div class="blast-sample" data-testid="blast-sample">
            <span class="muted small">A sample patient reads:</span>
            <p>{summary.rendered}</p>
            <SampleImages images={images} />
          </div>
        )}
        <label class="check">
          <input type="checkbox" checked={draft.marketing} onChange={(e) => set('marketing', e.currentTarget.checked)} data-testid="blast-marketing" />
          <span>
            Marketing message <span class="muted small">(promotions, newsletters: only patients who opted in to SMS marketing receive it)</span>
          </span>
        </label>
        <fieldset class="stack blast-timing" data-testid="blast-timing">
          <legend class="field-label">When</legend>
          <label class="check">
            <input type="radio" name="blast-when" checked={!later} onChange={() => setTiming({ ...timing, when: 'now' })} disabled={sending} data-testid="blast-when-now" />
            <span>Send now</span>
          </label>
          <label class="check">
            <input type="radio" name="blast-when" checked={later} onChange={() => setTiming({ ...timing, when: 'later' })} disabled={sending} data-testid="blast-when-later" />
            <span>Schedule</span>
          </label>
          {later && (
            <div class="button-row">
              <input type="date" aria-label="Date" value={timing.date} onInput={(e) => setTiming({ ...timing, date: e.currentTarget.value })} disabled={sending} data-testid="blast-date" />
              <input type="time" aria-label="Time" value={timing.time} onInput={(e) => setTiming({ ...timing, time: e.currentTarget.value })} disabled={sending} data-testid="blast-time" />
              <span class="muted small">{timeZone ? `${timeZone.replace(/_/g, ' ')} (the organization's time zone)` : "the organization's time zone"}</span>
            </div>
          )}
          <label class="check">
            <input type="checkbox" checked={timing.spread} onChange={(e) => setTiming({ ...timing, spread: e.currentTarget.checked })} disabled={sending} data-testid="blast-spread" />
            <span>
              Spread over several days <span class="muted small">(at most this many a day, at the same time each day)</span>
            </span>
          </label>
          {timing.spread && (
            <label class="field blast-per-day">
              <span class="field-label">Messages per day</span>
              <input type="number" min={1} step={1} value={timing.perDay} onInput={(e) => setTiming({ ...timing, perDay: Number(e.currentTarget.value) })} disabled={sending} data-testid="blast-per-day" />
            </label>
          )}
          <p class="muted small">Quiet hours still apply: a message due in a patient's quiet hours waits for their next allowed time.</p>
        </fieldset>
        {error && (
          <p class="field-error" role="alert" data-testid="blast-send-error">
            {error}
          </p>
        )}
        {phi && <PhiConfirm phi={phi} busy={sending} onEdit={() => setPhi(null)} onConfirm={() => void send(true)} />}
        {test.result && (
          <p class={test.error ? 'field-error' : 'muted small'} role={test.error ? 'alert' : 'status'} data-testid="blast-test-result">
            {test.result}
          </p>
        )}
        <div class="button-row">
          <button type="button" class="btn btn-secondary" onClick={() => void sendTest()} disabled={sending || test.busy || !draft.body.trim()} data-testid="blast-test">
            {test.busy ? 'Sending test…' : 'Send Test to Me'}
          </button>
          <button type="button" class="btn btn-primary" onClick={() => void send(false)} disabled={sending || !!phi || !draft.body.trim() || preview.data?.willSend === 0} data-testid="blast-send">
            {sending ? (later ? 'Scheduling…' : 'Sending…') : later ? `Schedule for ${count} ${patients}` : `Send to ${count} ${patients}`}
          </button>
        </div>
      </section>
      <SendPreview preview={preview} marketing={draft.marketing} selection={!!draft.patientIds?.length} />
    </div>
  );
}

/** The send preview's counts, asked again a moment after the audience, team or marketing changes. */
export function useBlastPreview(teamId: string, audience: ReturnType<typeof audienceOf>, marketing: boolean) {
  const [args, setArgs] = useState({ teamId, ...audience, marketing });
  const ids = 'patientIds' in audience ? `p:${audience.patientIds.join(',')}` : `c:${audience.cohortIds.join(',')}`;
  useEffect(() => {
    const timer = setTimeout(() => setArgs({ teamId, ...audience, marketing }), PREVIEW_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [teamId, ids, marketing]);
  return useQuery<Preview>(() => trpc.blasts.preview.query(args), [args]);
}

/** "Will send" and each skip reason, as the server counts them (`selection`: patients picked by hand, some maybe not found). */
export function SendPreview({ preview, marketing, selection = false }: { preview: ReturnType<typeof useBlastPreview>; marketing: boolean; selection?: boolean }) {
  const rows: [string, keyof Preview, string][] = [
    ['Will send', 'willSend', 'Patients who will receive the message.'],
    ['Opted out', 'optedOut', 'Opted out of SMS (via STOP or clinic settings): skipped.'],
    ['No contact info', 'noContactInfo', 'No phone number on file.'],
    ['Landline', 'landline', 'Their number is marked as a landline.'],
    ['Blocked', 'blocked', 'The clinic disabled SMS to them.'],
    ...(marketing ? [['Not opted in', 'notOptedIn', 'Not opted in to SMS marketing (marketing only).'] as [string, keyof Preview, string]] : []),
    ...(preview.data?.notFound ? [['Not found', 'notFound', 'No longer in your directory (deleted), or never were: skipped.'] as [string, keyof Preview, string]] : []),
  ];
  return (
    <aside class="card section blast-preview" data-testid="blast-preview" aria-live="polite">
      <h3>Send preview</h3>
      {preview.loading ? (
        <Loading label="Counting…" />
      ) : preview.error && !preview.data ? (
        <ErrorState message={preview.error} onRetry={preview.reload} />
      ) : (
        <dl class="blast-breakdown">
          {rows.map(([label, key, hint]) => (
            <div key={key} class={key === 'willSend' ? 'blast-breakdown-main' : ''} title={hint} data-testid={`preview-${key}`}>
              <dt>{label}</dt>
              <dd>{(preview.data?.[key] ?? 0).toLocaleString()}</dd>
            </div>
          ))}
        </dl>
      )}
      {preview.data && (
        <p class="muted small">
          {preview.data.total.toLocaleString()} {selection ? 'selected patients' : 'patients in the selected cohorts'}, each counted once.
        </p>
      )}
    </aside>
  );
}

/** What the PHI guard found in a blast's text: edit it, or send anyway (the server audits the override). */
export function PhiConfirm({ phi, busy, onEdit, onConfirm }: { phi: { message: string; findings: PhiFinding[] }; busy: boolean; onEdit: () => void; onConfirm: () => void }) {
  return (
    <div class="alert alert-warning" role="alert" data-testid="blast-phi">
      <p>
        <strong>This message may contain protected health information.</strong> {phi.message}
      </p>
      {phi.findings.length > 0 && (
        <ul>
          {phi.findings.map((f, i) => (
            <li key={i}>
              “{f.text}”: {PHI_KIND_LABEL[f.kind] ?? f.kind}
            </li>
          ))}
        </ul>
      )}
      <p class="small">It goes to every recipient as an ordinary text message. Edit it, or send it anyway (recorded in the audit log).</p>
      <div class="button-row">
        <button type="button" class="btn btn-secondary" onClick={onEdit} disabled={busy} data-testid="blast-phi-edit">
          Edit message
        </button>
        <button type="button" class="btn btn-danger" onClick={onConfirm} disabled={busy} data-testid="blast-phi-confirm">
          Send anyway
        </button>
      </div>
    </div>
  );
}

/** "N selected patients" with the first names (this org's patients only, fetched on the server). */
function SelectedPatients({ ids, selection }: { ids: string[]; selection: QueryState<Selection | null> }) {
  const s = selection.data;
  const n = s?.found ?? ids.length;
  return (
    <section class="field blast-selection" data-testid="blast-selection">
      <span class="field-label">Recipients</span>
      {selection.loading ? (
        <Loading label="Loading the selected patients…" />
      ) : !s ? (
        <ErrorState message={selection.error ?? ''} onRetry={selection.reload} />
      ) : (
        <>
          <p data-testid="blast-selection-count">
            <strong>
              {n.toLocaleString()} selected patient{n === 1 ? '' : 's'}
            </strong>
            {s.notFound > 0 && <span class="muted"> · {s.notFound.toLocaleString()} not found (deleted, or not in your organization): they get nothing</span>}
          </p>
          <ul class="blast-selection-names" data-testid="blast-selection-names">
            {s.patients.map((p) => (
              <li key={p.id}>{[p.firstName, p.lastName].filter(Boolean).join(' ') || (p.phone ? formatPhoneForDisplay(p.phone) : 'Unnamed patient')}</li>
            ))}
            {s.found > s.patients.length && <li class="muted">and {(s.found - s.patients.length).toLocaleString()} more</li>}
          </ul>
          <p class="field-hint">Each gets the message once, by the same rules as a cohort blast (opted out, blocked, landline or no phone: skipped).</p>
        </>
      )}
    </section>
  );
}

/** The message box: typing @ offers the personalization tokens (arrows, Enter or Tab, Escape). */
export function TokenTextarea({ value, onChange, disabled, orgName }: { value: string; onChange: (value: string) => void; disabled?: boolean; orgName: string }) {
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

  function track(text: string, cursor: number) {
    const q = tokenQuery(text, cursor);
    setMenu(q ? { start: q.start, cursor, query: q.query } : null);
    setActive(0);
  }
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
    <div class="token-textarea">
      <label class="field">
        <span class="field-label">Message</span>
        <textarea
          ref={ref}
          rows={6}
          value={value}
          disabled={disabled}
          placeholder="Type your message. Type @ to personalize it (first name, organization name…)."
          onInput={(e) => {
            onChange(e.currentTarget.value);
            track(e.currentTarget.value, e.currentTarget.selectionStart);
          }}
          onKeyDown={onKeyDown}
          onBlur={() => setTimeout(() => setMenu(null), 150)}
          aria-haspopup="listbox"
          aria-expanded={matches.length > 0}
          aria-controls="blast-token-menu"
          aria-autocomplete="list"
          data-testid="blast-body"
        />
      </label>
      {menu && matches.length > 0 && (
        <ul class="token-menu" id="blast-token-menu" role="listbox" data-testid="token-menu">
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
              <span>{t.label}</span> <span class="muted small">{renderTemplate(t.token, samplePatient(orgName))}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
