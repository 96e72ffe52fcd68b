import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { PageReading } from '../ehr/registry';
import type { Failure } from '../protocol';
import type { HistoryView, LookupView, PatientSummary, PatientView } from '../views';
import { ask } from './bridge';
import { Composer } from './Composer';
import { byPerson } from './person-action';
import { formatDob, formatTime } from './format';
import { resendNotice } from '@caretext/shared/composing';
import { applyToHistory } from './history';
import { MatchedCard, PageCard } from './PatientCard';
import { usePush } from './pushes';
import { Thread } from './Thread';

type Props = {
  reading: PageReading;
  lookup: LookupView;
  open: boolean;
  onUnread(count: number): void;
  onCreated(lookup: LookupView): void;
  children: ComponentChildren;
};

export function PatientPane(props: Props) {
  const { lookup, reading, children } = props;
  if (lookup.signedIn && lookup.patient) return <MatchedPane {...props} patient={lookup.patient} />;
  return (
    <div class="scroll">
      {children}
      <PageCard reading={reading} page={lookup.page}>
        {lookup.signedIn && lookup.differentMrn && <DifferentMrn reading={reading} candidate={lookup.differentMrn} onLinked={props.onCreated} />}
        {lookup.signedIn && lookup.differentDob && (
          <p class="page-line note warn small" role="status" data-testid="different-dob">
            <strong>Different date of birth.</strong> CareText has {lookup.differentDob.displayName}
            {lookup.differentDob.dob ? ` (DOB ${formatDob(lookup.differentDob.dob)})` : ''} with this page’s MRN or phone. Not matched: check the chart and the CareText record.
          </p>
        )}
        {lookup.signedIn && <CreateFromPage reading={reading} onCreated={props.onCreated} candidate={Boolean(lookup.differentMrn || lookup.differentDob)} />}
      </PageCard>
    </div>
  );
}

/**
 * Same phone or name + DOB, another MRN: maybe another person, maybe an out-of-date record. A
 * person decides (link: the CareText record takes the page's MRN, an audited edit; or create a
 * new patient); until then nothing is preselected for sending.
 */
function DifferentMrn({ reading, candidate, onLinked }: { reading: PageReading; candidate: PatientSummary; onLinked(lookup: LookupView): void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Failure | null>(null);
  const link = async (e: MouseEvent) => {
    if (!byPerson(e) || busy) return;
    setBusy(true);
    const answer = await ask({ type: 'patient.linkMrn', patientId: candidate.id, page: reading.patient });
    setBusy(false);
    if (answer.ok) onLinked(answer.value);
    else setError(answer.error);
  };
  return (
    <div class="page-line" data-testid="different-mrn">
      <p class="note warn small" role="status">
        <strong>Different MRN.</strong> CareText has {candidate.displayName}
        {candidate.dob ? ` (DOB ${formatDob(candidate.dob)})` : ''} with MRN <strong>{candidate.mrn}</strong>; this page shows MRN{' '}
        <strong>{reading.patient.mrn}</strong>. Not matched: check before you link them.
      </p>
      <button type="button" class="btn block" onClick={link} disabled={busy} data-testid="link-mrn">
        {busy ? 'Linking…' : `Same person: update MRN to ${reading.patient.mrn}`}
      </button>
      {error && (
        <p class="note error small" role="alert">
          {error.message}
        </p>
      )}
    </div>
  );
}

function CreateFromPage({ reading, onCreated, candidate }: { reading: PageReading; onCreated(lookup: LookupView): void; candidate: boolean }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Failure | null>(null);
  const create = async (e: MouseEvent) => {
    if (!byPerson(e) || busy) return;
    setBusy(true);
    const answer = await ask({ type: 'patient.create', page: reading.patient });
    setBusy(false);
    if (answer.ok) onCreated(answer.value);
    else setError(answer.error);
  };
  return (
    <div class="page-line">
      {!candidate && <p data-testid="no-match">No CareText patient matches this page.</p>}
      <button type="button" class="btn primary block" onClick={create} disabled={busy} data-testid="create-patient">
        {busy ? 'Creating…' : candidate ? 'Another person: create a patient from this page' : 'Create patient from this page'}
      </button>
      {error && (
        <p class="note error small" role="alert">
          {error.message}
        </p>
      )}
    </div>
  );
}

/** A matched patient: history across channels, live, and the composer. */
function MatchedPane({ lookup, open, onUnread, children, patient }: Props & { patient: PatientSummary }) {
  const [view, setView] = useState<PatientView | null>(null);
  const [error, setError] = useState<Failure | null>(null);
  const [teamId, setTeamId] = useState<string | null>(null);
  const seen = useRef<Set<string> | null>(null);
  const openRef = useRef(open);
  openRef.current = open;

  const noteArrivals = (history: HistoryView) => {
    const inbound = history.messages.filter((m) => m.direction === 'inbound');
    if (seen.current && !openRef.current) {
      const fresh = inbound.filter((m) => !seen.current!.has(m.id)).length;
      if (fresh) onUnread(fresh);
    }
    seen.current = new Set(inbound.map((m) => m.id));
  };

  const load = async (team: string | null) => {
    const answer = await ask({ type: 'patient.view', patientId: patient.id, teamId: team });
    if (!answer.ok) return setError(answer.error);
    setError(null);
    noteArrivals(answer.value);
    setView(answer.value);
    setTeamId(answer.value.teamId);
    // The outbox in this answer was read before the server answered: a send that went out
    // meanwhile (its push already handled) would stay shown as waiting. Read it again.
    void refreshOutbox();
  };

  const refreshHistory = async () => {
    const answer = await ask({ type: 'patient.history', patientId: patient.id });
    if (!answer.ok) return;
    noteArrivals(answer.value);
    // A STOP or START changed whether SMS can go out: reload what the composer offers too.
    if (view && optOutsOf(view) !== optOutsOf(answer.value)) return void load(teamId);
    setView((v) => v && { ...v, ...answer.value });
    void refreshOutbox();
  };

  /** What waits in this browser's outbox for the patient: local, nothing is read from the server. */
  const refreshOutbox = async () => {
    const answer = await ask({ type: 'outbox.list', patientId: patient.id });
    if (answer.ok) setView((v) => v && { ...v, outbox: answer.value });
  };

  useEffect(() => {
    void load(null);
  }, [patient.id]);

  // Live changes patch this patient's history and nothing else: changes for other patients are
  // ignored, and nothing is re-read for one (except the opt-outs, which the history lists per
  // clinic number). A sent message arrives here like any other.
  usePush((push) => {
    if (push.type === 'message' && push.patientId === patient.id) {
      const added = push.added;
      if (added?.direction === 'inbound' && seen.current && !seen.current.has(added.id)) {
        seen.current.add(added.id);
        if (!openRef.current) onUnread(1);
      }
      setView((v) => v && applyToHistory(v, push));
      if (push.optOutChanged) void refreshHistory();
    }
    if (push.type === 'outbox') void refreshOutbox();
    if (push.type === 'resync') void load(teamId);
    if (push.type === 'conversations.changed' && view?.conversationIds.some((id) => push.conversationIds.includes(id))) void refreshHistory();
  });

  return (
    <>
      <div class="scroll">
        {children}
        <MatchedCard patient={patient} matchedBy={lookup.matchedBy} page={lookup.page} history={view} availability={view?.availability ?? null} />
        {error && (
          <div class="note error" role="alert">
            {error.message}
          </div>
        )}
        {view ? <Thread view={view} words={view.confirmationWords} onDiscard={(key) => void ask({ type: 'outbox.discard', idempotencyKey: key }).then(refreshOutbox)} /> : !error && <p class="empty">Loading messages…</p>}
        {view && <ResendLink view={view} phone={patient.phone} phoneDisplay={patient.phoneDisplay} />}
      </div>
      {view && (
        <Composer
          key={`${patient.id}|${view.teamId}`}
          patient={patient}
          view={view}
          onTeam={(id) => void load(id)}
          onSent={() => void refreshOutbox()}
          onStale={() => void load(teamId)}
        />
      )}
    </>
  );
}

const optOutsOf = (history: HistoryView) => history.optOuts.map((o) => `${o.number}|${o.at}`).join(',');

/**
 * "Resend link" for the patient's latest secure conversation (as in the Inbox header): a new
 * portal link by SMS or email; the earlier one stops working. Says where it went, or why not.
 */
function ResendLink({ view, phone, phoneDisplay }: { view: HistoryView; phone: string | null; phoneDisplay: string | null }) {
  const [pending, setPending] = useState(false);
  const [note, setNote] = useState<{ text: string; tone: 'info' | 'warning' } | null>(null);
  const secure = [...view.messages].reverse().find((m) => m.channel === 'secure');
  if (!secure) return null;
  async function resend(e: MouseEvent) {
    if (!byPerson(e) || pending || !window.confirm('Send the patient a new link to their secure messages? The previous link stops working.')) return;
    setPending(true);
    const answer = await ask({ type: 'secure.resendLink', conversationId: secure!.conversationId });
    setPending(false);
    if (!answer.ok) return setNote({ text: answer.error.message, tone: 'warning' });
    setNote(resendNotice(answer.value, (e164) => (e164 === phone && phoneDisplay) || e164, formatTime));
  }
  return (
    <div class="resend-link">
      <button type="button" class="btn small" onClick={(e) => void resend(e)} disabled={pending} data-testid="resend-link">
        {pending ? 'Sending link…' : 'Resend secure link'}
      </button>
      {note && (
        <p class={`note${note.tone === 'warning' ? ' error' : ''}`} role="status" data-testid="resend-note">
          {note.text}
        </p>
      )}
    </div>
  );
}
