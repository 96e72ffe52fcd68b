import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { useLocation, useRoute } from 'preact-iso';
import { EmptyState, ErrorState, Loading } from '../../../components/states';
import { ageInYears, formatCalendarDate, formatDate, formatDateTime } from '../../../lib/dates';
import { useQuery } from '../../../lib/query';
import { currentOrg } from '../../../lib/session';
import { trpc } from '../../../lib/trpc';
import { NewConversationDialog } from '../../inbox/lazyDialogs';
import { Breadcrumbs } from '../Breadcrumbs';
import { consentEventLabel, consentSourceLabel, displayPhone, lineTypeLabel, patientLabel, recordSourceLabel } from './display';
import { MessageHistory } from './MessageHistory';
import type { PatientRecord } from './patientInput';
import { StatusBadges } from './StatusBadges';

/** /directory/patients/:patientId — the record, its messages, and its consent. */
export function PatientProfilePage() {
  const { params } = useRoute();
  const patientId = params.patientId!;
  const patient = useQuery(() => trpc.patients.get.query({ patientId }), [patientId]);

  if (patient.loading) return <Loading label="Loading patient…" />;
  if (!patient.data) {
    return (
      <>
        <Breadcrumbs trail={[{ label: 'Patients', href: '/directory/patients' }]} current="Patient" />
        <section class="card section">
          <ErrorState title="Couldn't open this patient" message={patient.error ?? 'Patient not found.'} onRetry={patient.reload} />
        </section>
      </>
    );
  }
  const p = patient.data;
  return (
    <div class="stack-lg" data-testid="patient-profile">
      <Breadcrumbs trail={[{ label: 'Patients', href: '/directory/patients' }]} current={patientLabel(p)} />
      <ProfileHeader patient={p} />
      {p.sharedPhoneWith.length > 0 && <SharedPhone patient={p} />}
      <div class="profile-grid">
        <div class="stack-lg">
          <Details patient={p} />
          <MessageHistory patientId={p.id} />
        </div>
        <div class="stack-lg">
          <ConsentState patient={p} />
          <ConsentHistory patient={p} />
        </div>
      </div>
    </div>
  );
}

function ProfileHeader({ patient: p }: { patient: PatientRecord }) {
  const legalName = [p.firstName, p.lastName].filter(Boolean).join(' ');
  const initials = (p.displayName.match(/\p{L}/gu) ? p.displayName.split(/\s+/).map((w) => w.match(/\p{L}/u)?.[0] ?? '') : ['#']).join('').slice(0, 2).toUpperCase();
  const age = p.dob ? ageInYears(p.dob) : null;
  return (
    <section class="card section profile-header">
      <span class="avatar avatar-lg" aria-hidden="true">
        {initials}
      </span>
      <div class="profile-title">
        <h2 data-testid="patient-name">
          {patientLabel(p)}
          <StatusBadges patient={{ optedOut: p.optedOutAt !== null, blocked: p.blockedAt !== null, phoneLineType: p.phoneLineType }} />
        </h2>
        <p class="muted profile-meta">
          {p.preferredName && legalName && <span>Legal name {legalName}</span>}
          {p.dob && (
            <span>
              Born {formatCalendarDate(p.dob)}
              {age !== null && ` (${age})`}
            </span>
          )}
          {p.mrn && <span class="mono">{/^mrn/i.test(p.mrn) ? p.mrn : `MRN ${p.mrn}`}</span>}
          {p.phone && <span>{displayPhone(p.phone)}</span>}
        </p>
      </div>
      <div class="button-row">
        <TextPatient patient={p} />
        <a href={`/directory/patients/${p.id}/edit`} class="btn btn-secondary" data-testid="edit-patient-button">
          Edit
        </a>
      </div>
    </section>
  );
}

/** Text patient: the Create a chat dialog with this patient already chosen (same SMS rules). */
function TextPatient({ patient: p }: { patient: PatientRecord }) {
  const [open, setOpen] = useState(false);
  const { route } = useLocation();
  return (
    <>
      <button type="button" class="btn btn-primary" onClick={() => setOpen(true)} data-testid="text-patient">
        Text patient
      </button>
      {open && (
        <NewConversationDialog
          initialPatients={[{ id: p.id, displayName: patientLabel(p), detail: p.phone ? displayPhone(p.phone) : null }]}
          onClose={() => setOpen(false)}
          onStarted={(conversationId) => route(`/inbox/${conversationId}`)}
        />
      )}
    </>
  );
}

function SharedPhone({ patient: p }: { patient: PatientRecord }) {
  return (
    <div class="alert alert-info shared-phone" data-testid="shared-phone">
      <strong>Shares a phone with: </strong>
      {p.sharedPhoneWith.map((other, i) => (
        <span key={other.id}>
          {i > 0 && ', '}
          <a href={`/directory/patients/${other.id}`}>{[other.firstName, other.lastName].filter(Boolean).join(' ') || (other.mrn ? `MRN ${other.mrn}` : 'Unnamed patient')}</a>
          {other.mrn && <span class="muted"> ({other.mrn})</span>}
        </span>
      ))}
      <p class="small">Family members often share a number. Check who you are texting before sending anything personal.</p>
    </div>
  );
}

function Details({ patient: p }: { patient: PatientRecord }) {
  const orgZone = currentOrg.value?.timeZone ?? '';
  return (
    <section class="card section" data-testid="patient-details">
      <div class="section-head">
        <div>
          <h2>Details</h2>
        </div>
      </div>
      <dl class="details profile-details">
        <Item label="Phone" testId="detail-phone">
          {p.phone ? (
            <>
              {displayPhone(p.phone)} <span class="badge">{lineTypeLabel(p.phoneLineType)}</span>
            </>
          ) : null}
        </Item>
        <Item label="Email">{p.email}</Item>
        <Item label="Date of birth">{p.dob && formatCalendarDate(p.dob)}</Item>
        <Item label="MRN" testId="detail-mrn">
          {p.mrn && <span class="mono">{p.mrn}</span>}
        </Item>
        <Item label="First name">{p.firstName}</Item>
        <Item label="Last name">{p.lastName}</Item>
        <Item label="Preferred name">{p.preferredName}</Item>
        <Item label="Location">{p.location}</Item>
        <Item label="Provider">{p.provider}</Item>
        <Item label="Time zone">{p.timeZone ? p.timeZone.replace(/_/g, ' ') : <span class="cell-muted">Organization default ({orgZone.replace(/_/g, ' ')})</span>}</Item>
        <Item label="Tags">
          {p.tags.length ? (
            <span class="chips">
              {p.tags.map((t) => (
                <span key={t} class="chip">
                  {t}
                </span>
              ))}
            </span>
          ) : null}
        </Item>
        <Item label="Record">
          {recordSourceLabel(p.source)} on {formatDate(p.createdAt)}
        </Item>
        <Item label="Last updated">{formatDateTime(p.updatedAt)}</Item>
      </dl>
    </section>
  );
}

function Item({ label, children, testId }: { label: string; children: ComponentChildren; testId?: string }) {
  const empty = children === null || children === undefined || children === '' || children === false;
  return (
    <>
      <dt>{label}</dt>
      <dd data-testid={testId}>{empty ? <span class="cell-muted">—</span> : children}</dd>
    </>
  );
}

function ConsentState({ patient: p }: { patient: PatientRecord }) {
  const optIns = [
    { label: 'SMS reminders and care updates', on: p.smsTransactionalOptIn },
    { label: 'Marketing SMS', on: p.smsMarketingOptIn },
    { label: 'Marketing email', on: p.emailMarketingOptIn },
  ];
  const stops = [
    { label: 'Opted out of SMS', at: p.optedOutAt },
    { label: 'Blocked by the clinic', at: p.blockedAt },
    { label: 'Email suppressed', at: p.emailSuppressedAt },
    { label: 'Unsubscribed from email', at: p.unsubscribedAt },
  ].filter((s) => s.at);
  return (
    <section class="card section" data-testid="consent-state">
      <div class="section-head">
        <div>
          <h2>Consent</h2>
        </div>
      </div>
      <ul class="consent-list">
        {optIns.map((o) => (
          <li key={o.label}>
            <span>{o.label}</span>
            <span class={`badge ${o.on ? 'badge-approved' : ''}`}>{o.on ? 'Agreed' : 'Not given'}</span>
          </li>
        ))}
      </ul>
      {stops.length > 0 ? (
        <ul class="consent-list consent-stops" data-testid="consent-stops">
          {stops.map((s) => (
            <li key={s.label}>
              <span>{s.label}</span>
              <span class="cell-muted small">since {formatDate(s.at!)}</span>
            </li>
          ))}
        </ul>
      ) : (
        <p class="muted small consent-note">Nothing stops messages to this patient.</p>
      )}
    </section>
  );
}

function ConsentHistory({ patient: p }: { patient: PatientRecord }) {
  // Names of who recorded each change; a former member shows as such.
  const members = useQuery(() => trpc.members.list.query(), []);
  const names = new Map((members.data ?? []).map((m) => [m.user.id, m.user.name]));
  const by = (actorId: string | null, source: string) => {
    if (!actorId) return source === 'keyword' ? 'the patient' : null;
    return names.get(actorId) ?? (members.data ? 'a former member' : null);
  };
  return (
    <section class="card section" data-testid="consent-history">
      <div class="section-head">
        <div>
          <h2>Consent history</h2>
          <p class="muted">When and how consent was given or withdrawn, and by whom.</p>
        </div>
      </div>
      {p.consentHistory.length === 0 ? (
        <EmptyState title="No consent recorded yet" testId="consent-history-empty">
          Changes made on this record or by text reply appear here.
        </EmptyState>
      ) : (
        <ol class="timeline">
          {p.consentHistory.map((e) => {
            const who = by(e.actorId, e.source);
            return (
              <li key={e.id} data-testid="consent-event" data-kind={e.kind}>
                <span class={`timeline-dot${e.granted ? ' on' : ''}`} aria-hidden="true" />
                <div>
                  <p class="timeline-title">{consentEventLabel(e.kind, e.granted)}</p>
                  <p class="muted small">
                    {formatDateTime(e.createdAt)} · {consentSourceLabel(e.source)}
                    {who && ` · by ${who}`}
                  </p>
                  {e.note && <p class="small">{e.note}</p>}
                </div>
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}
