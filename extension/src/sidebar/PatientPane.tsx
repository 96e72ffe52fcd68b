import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { PageReading } from '../ehr/registry';
import type { Failure } from '../protocol';
import type { HistoryView, LookupView, PatientSummary, PatientView } from '../views';
import { ask } from './bridge';
import { Composer } from './Composer';
import { byPerson } from './person-action';
import { formatDob } from './format';
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
        {lookup.signedIn && <CreateFromPage reading={reading} onCreated={props.onCreated} candidate={Boolean(lookup.differentMrn)} />}
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
  };

  const refreshHistory = async () => {
    const answer = await ask({ type: 'patient.history', patientId: patient.id });
    if (!answer.ok) return;
    noteArrivals(answer.value);
    setView((v) => v && { ...v, ...answer.value });
  };

  useEffect(() => {
    void load(null);
  }, [patient.id]);

  // A message event may belong to a conversation this patient does not have yet (the first
  // reply), so any one refreshes the history; a burst of them refreshes once.
  const refreshSoon = useRef<ReturnType<typeof setTimeout> | null>(null);
  usePush((push) => {
    if (push.type === 'message' || push.type === 'outbox') {
      if (refreshSoon.current) clearTimeout(refreshSoon.current);
      refreshSoon.current = setTimeout(() => void refreshHistory(), 80);
    }
    if (push.type === 'resync') void load(teamId);
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
        {view ? <Thread view={view} onDiscard={(key) => void ask({ type: 'outbox.discard', idempotencyKey: key }).then(refreshHistory)} /> : !error && <p class="empty">Loading messages…</p>}
      </div>
      {view && (
        <Composer
          key={`${patient.id}|${view.teamId}`}
          patient={patient}
          view={view}
          onTeam={(id) => void load(id)}
          onSent={() => void refreshHistory()}
        />
      )}
    </>
  );
}
