import type { ComponentChildren } from 'preact';
import type { PatientFromPage } from '../ehr/normalize';
import type { PageReading } from '../ehr/registry';
import type { HistoryView, PatientSummary, PatientView } from '../views';
import { formatDob } from './format';

const MATCHED_BY = { mrn: 'MRN', phone: 'phone number', name_dob: 'name and date of birth' } as const;

/** What the page shows. Text only: nothing read from the EHR is ever rendered as HTML. */
export function PageCard({ reading, page, children }: { reading: PageReading; page: PatientFromPage | null; children?: ComponentChildren }) {
  const p = reading.patient;
  return (
    <section class="card" data-testid="page-patient">
      <p class="eyebrow">On this page</p>
      <h2 data-testid="page-patient-name">{p.name ?? ([p.firstName, p.lastName].filter(Boolean).join(' ') || 'Unnamed patient')}</h2>
      <dl class="facts">
        {p.dob && (
          <>
            <dt>DOB</dt>
            <dd>{formatDob(page?.dob ?? p.dob)}</dd>
          </>
        )}
        {p.mrn && (
          <>
            <dt>MRN</dt>
            <dd>{p.mrn}</dd>
          </>
        )}
        {p.phone && (
          <>
            <dt>Phone</dt>
            <dd>{p.phone}</dd>
          </>
        )}
        {p.email && (
          <>
            <dt>Email</dt>
            <dd>{p.email}</dd>
          </>
        )}
      </dl>
      {children}
    </section>
  );
}

/** The CareText record the page matched, and whether texting is allowed. */
export function MatchedCard({
  patient,
  matchedBy,
  page,
  history,
  availability,
}: {
  patient: PatientSummary;
  matchedBy: keyof typeof MATCHED_BY | null;
  page: PatientFromPage;
  history: HistoryView | null;
  availability: PatientView['availability'];
}) {
  const chips: { text: string; tone: 'ok' | 'bad' | '' }[] = [];
  if (patient.optedOut || history?.optOuts.length) chips.push({ text: 'Opted out of SMS', tone: 'bad' });
  if (patient.blocked) chips.push({ text: 'Texting blocked', tone: 'bad' });
  if (patient.phoneLineType === 'landline') chips.push({ text: 'Landline', tone: 'bad' });
  if (!patient.phone) chips.push({ text: 'No phone number', tone: 'bad' });
  if (availability?.sms.available) chips.push({ text: 'Can receive SMS', tone: 'ok' });
  const phoneDiffers = page.phone && patient.phone && page.phone !== patient.phone;
  return (
    <section class="card" data-testid="matched-patient">
      <p class="eyebrow">CareText patient</p>
      <h2 data-testid="patient-name">{patient.displayName}</h2>
      <dl class="facts">
        {patient.dob && (
          <>
            <dt>DOB</dt>
            <dd>{formatDob(patient.dob)}</dd>
          </>
        )}
        {patient.mrn && (
          <>
            <dt>MRN</dt>
            <dd>{patient.mrn}</dd>
          </>
        )}
        {patient.phoneDisplay && (
          <>
            <dt>Phone</dt>
            <dd>{patient.phoneDisplay}</dd>
          </>
        )}
      </dl>
      <div class="chips" data-testid="consent">
        {chips.map((c) => (
          <span key={c.text} class={`chip ${c.tone}`}>
            {c.text}
          </span>
        ))}
      </div>
      {history?.optOuts.map((o) => (
        <p key={o.number} class="small muted">
          Replied {o.keyword} to {o.number} on {o.at.slice(0, 10)}.
        </p>
      ))}
      {phoneDiffers && <p class="note warn small">The page shows a different phone number than CareText has for this patient.</p>}
      {matchedBy && (
        <p class="page-line" data-testid="matched-by">
          Matched to this page by {MATCHED_BY[matchedBy]}.
        </p>
      )}
    </section>
  );
}
