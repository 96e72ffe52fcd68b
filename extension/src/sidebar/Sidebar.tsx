import { useEffect, useState } from 'preact/hooks';
import { contextKey } from '../ehr/patient-context';
import { listKey, type PageList, type PageReading } from '../ehr/registry';
import type { Failure } from '../protocol';
import type { LookupView, SessionView } from '../views';
import { ask } from './bridge';
import { BlastPanel } from './BlastPanel';
import { PageListPanel } from './PageListPanel';
import { PatientPane } from './PatientPane';
import { PageCard } from './PatientCard';
import { usePush } from './pushes';

type Lookup = { state: 'loading' } | { state: 'done'; value: LookupView } | { state: 'error'; error: Failure };

/**
 * The sidebar shell: toggle tab (with the unread badge), header, connection and sign-in state,
 * and the patient the page shows. It never knows which EHR adapter read the page.
 */
export function Sidebar({ reading, list = null, initiallyOpen }: { reading: PageReading | null; list?: PageList | null; initiallyOpen: boolean }) {
  const [open, setOpen] = useState(initiallyOpen);
  const [unread, setUnread] = useState(0);
  const [online, setOnline] = useState(true);
  const [pending, setPending] = useState(0);
  const [session, setSession] = useState<SessionView | null>(null);
  const [lookup, setLookup] = useState<Lookup | null>(null);
  const [generation, setGeneration] = useState(0);
  /** "Blast": the wizard to a saved cohort takes the sidebar's body until closed. */
  const [blasting, setBlasting] = useState(false);
  const key = contextKey(reading?.patient ?? null);

  const toggle = (next = !open) => {
    setOpen(next);
    if (next) setUnread(0);
    void ask({ type: 'sidebar.setOpen', open: next });
  };

  usePush((push) => {
    if (push.type === 'toggle') toggle();
    if (push.type === 'connection') setOnline(push.online);
    if (push.type === 'connection' && push.online && lookup?.state === 'error') setGeneration((g) => g + 1);
    if (push.type === 'outbox') setPending(push.pending);
    if (push.type === 'session') setGeneration((g) => g + 1);
    // Back online with no patient matched yet (the lookup failed offline): try again.
    if (push.type === 'resync' && lookup?.state === 'error') setGeneration((g) => g + 1);
  });

  useEffect(() => {
    void ask({ type: 'session.get' }).then((a) => {
      if (!a.ok) return;
      setSession(a.value);
      setOnline(a.value.online);
      setPending(a.value.pendingOutbox);
    });
  }, [generation]);

  useEffect(() => {
    if (!reading) return setLookup(null);
    let current = true;
    setLookup({ state: 'loading' });
    void ask({ type: 'patient.lookup', page: reading.patient }).then((a) => {
      if (!current) return;
      setLookup(a.ok ? { state: 'done', value: a.value } : { state: 'error', error: a.error });
      // For the budgets bench: when the page's patient was looked up (after the sidebar showed).
      if (!performance.getEntriesByName('caretext:patient-looked-up').length) performance.mark('caretext:patient-looked-up');
    });
    return () => {
      current = false;
    };
  }, [key, generation]);

  const onCreated = (value: LookupView) => setLookup({ state: 'done', value });
  const signedIn = lookup?.state === 'done' ? lookup.value.signedIn : (session?.signedIn ?? true);
  const canBlast = Boolean(signedIn && session?.signedIn && session.org);

  const banners = (
    <>
      {!online && (
        <div class="note warn" role="status" data-testid="offline-banner">
          Offline: CareText is unreachable. Messages you send wait in the outbox{pending ? ` (${pending} waiting)` : ''} and go out once when it is back.
        </div>
      )}
      {!signedIn && (
        <div class="note" data-testid="signed-out">
          Sign in to CareText from the toolbar button (the CareText icon) to see this patient's messages.
        </div>
      )}
      {list && signedIn && <PageListPanel key={listKey(list)} list={list} />}
    </>
  );

  return (
    <>
      <aside class={`panel${open ? ' open' : ''}`} hidden={!open} data-testid="ehr-sidebar" aria-label="CareText">
        <header class="head">
          <svg width="24" height="24" viewBox="0 0 32 32" aria-hidden="true">
            <rect width="32" height="32" rx="8" fill="#6d28d9" />
            <path d="M9 11h14v8h-8l-4 3v-3H9z" fill="#fff" />
          </svg>
          <div class="head-text">
            <span class="brand">CareText</span>
            {session?.org && <span class="org">{session.org.name}</span>}
          </div>
          {canBlast && (
            <button type="button" class="btn small head-btn" aria-pressed={blasting} title="Send a blast to a saved cohort" onClick={() => setBlasting(!blasting)} data-testid="blast-entry">
              Blast
            </button>
          )}
          <button type="button" class="icon-btn" aria-label="Hide the CareText sidebar (Alt+Shift+S)" title="Hide (Alt+Shift+S)" onClick={() => toggle(false)} data-testid="sidebar-close">
            ×
          </button>
        </header>
        {blasting && canBlast ? (
          <BlastPanel onClose={() => setBlasting(false)}>
            {!online && (
              <div class="note warn" role="status" data-testid="offline-banner">
                Offline: CareText is unreachable. A blast is not kept in the outbox: send it once CareText is back.
              </div>
            )}
          </BlastPanel>
        ) : reading && lookup?.state === 'done' ? (
          <PatientPane key={`${key}|${lookup.value.patient?.id ?? ''}`} reading={reading} lookup={lookup.value} open={open} onUnread={(n) => setUnread((u) => u + n)} onCreated={onCreated}>
            {banners}
          </PatientPane>
        ) : (
          <div class="scroll">
            {banners}
            {!reading && !list && <div class="note">No patient on this page.</div>}
            {reading && <PageCard page={null} reading={reading} />}
            {reading && lookup?.state === 'error' && (
              <div class="note error" role="alert" data-testid="lookup-error">
                {lookup.error.message}
              </div>
            )}
          </div>
        )}
      </aside>
      <button type="button" class="tab" aria-expanded={open} aria-label={`CareText${unread ? `, ${unread} unread` : ''}`} onClick={() => toggle()} data-testid="ehr-toggle">
        <svg width="18" height="18" viewBox="0 0 32 32" aria-hidden="true">
          <path d="M7 9h18v11H14l-5 4v-4H7z" fill="#fff" />
        </svg>
        <span class="tab-label">CareText</span>
        {unread > 0 && (
          <span class="badge" data-testid="unread-badge">
            {unread}
          </span>
        )}
      </button>
    </>
  );
}
