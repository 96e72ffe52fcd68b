import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { Field, FormError, SubmitButton } from '../../../components/Field';
import { useSubmit } from '../../../lib/form';
import { currentOrg } from '../../../lib/session';
import { timeZoneOptions, withZone } from '../../../lib/timeZones';
import { LINE_TYPES } from './display';
import { consentChanged, PATIENT_FIELDS, type PatientFormValues, patientFormSchema, toPatientInput, type PatientInput } from './patientInput';

type PatientFormProps = {
  initial: PatientFormValues;
  submitLabel: string;
  cancelHref: string;
  onSubmit: (input: PatientInput) => Promise<unknown>;
};

type TextKey = (typeof PATIENT_FIELDS)[number];
type SwitchKey = 'smsTransactionalOptIn' | 'smsMarketingOptIn' | 'emailMarketingOptIn' | 'optedOut' | 'blocked' | 'emailSuppressed' | 'unsubscribed';

/** Create and edit: the record in four groups, with the server's messages beside each field. */
export function PatientForm({ initial, submitLabel, cancelHref, onSubmit }: PatientFormProps) {
  // A taken MRN comes back as CONFLICT naming the other patient: it belongs under the MRN.
  const form = useSubmit(PATIENT_FIELDS, { CONFLICT: 'mrn' });
  const [values, setValues] = useState(initial);
  const [zones] = useState(timeZoneOptions);
  const orgZone = currentOrg.value?.timeZone ?? '';
  const set = (patch: Partial<PatientFormValues>) => setValues({ ...values, ...patch });

  async function submit(e: Event) {
    e.preventDefault();
    if (!form.check(patientFormSchema, values)) return;
    await form.run(() => onSubmit(toPatientInput(values)));
  }

  const text = (key: TextKey, label: string, props: { hint?: ComponentChildren; placeholder?: string; inputMode?: 'tel' | 'email' } = {}) => (
    <Field label={label} id={`patient-${key}`} error={form.fieldErrors[key]} hint={props.hint}>
      <input
        id={`patient-${key}`}
        name={key}
        type="text"
        value={values[key]}
        placeholder={props.placeholder}
        autoComplete="off"
        inputMode={props.inputMode}
        aria-invalid={form.fieldErrors[key] ? true : undefined}
        aria-describedby={form.fieldErrors[key] ? `patient-${key}-error` : undefined}
        onInput={(e) => set({ [key]: e.currentTarget.value })}
      />
    </Field>
  );

  const toggle = (key: SwitchKey, title: string, description: string) => (
    <label class="check consent-switch">
      <input type="checkbox" name={key} checked={values[key]} onChange={(e) => set({ [key]: e.currentTarget.checked })} data-testid={`patient-${key}`} />
      <span>
        <strong>{title}</strong>
        <span class="muted block">{description}</span>
      </span>
    </label>
  );

  return (
    <form onSubmit={submit} noValidate class="patient-form" data-testid="patient-form">
      <FormError message={form.formError} />

      <FormSection title="Contact" description="How the clinic reaches the patient. A phone number, email, MRN or name is enough to save the record.">
        <div class="field-grid">
          {text('phone', 'Phone number', { hint: 'Any format: (555) 123-4567, 555.123.4567, +1 555 123 4567', inputMode: 'tel' })}
          <Field label="Line type" id="patient-line-type">
            <select id="patient-line-type" value={values.phoneLineType} onChange={(e) => set({ phoneLineType: e.currentTarget.value as PatientFormValues['phoneLineType'] })}>
              {LINE_TYPES.map((t) => (
                <option key={t.value} value={t.value}>
                  {t.label}
                </option>
              ))}
            </select>
          </Field>
          {text('email', 'Email', { inputMode: 'email' })}
        </div>
      </FormSection>

      <FormSection title="Patient" description="Names as the patient uses them; DOB and MRN tell patients with the same name apart.">
        <div class="field-grid">
          {text('firstName', 'First name')}
          {text('lastName', 'Last name')}
          {text('preferredName', 'Preferred name', { hint: 'Used in greetings instead of the first name.' })}
          {text('dob', 'Date of birth', { placeholder: 'MM/DD/YYYY', hint: 'MM/DD/YYYY or YYYY-MM-DD' })}
          {text('mrn', 'Medical record number (MRN)', { hint: 'Unique in your organization.' })}
        </div>
      </FormSection>

      <FormSection title="Care" description="Where and by whom the patient is seen, for routing and for finding groups of patients later.">
        <div class="field-grid">
          {text('location', 'Location', { placeholder: 'Main Street office' })}
          {text('provider', 'Provider', { placeholder: 'Dr. Rivera' })}
          <Field label="Time zone" id="patient-timeZone" error={form.fieldErrors.timeZone} hint="Reminders are timed in the patient's time zone.">
            <select id="patient-timeZone" value={values.timeZone} onChange={(e) => set({ timeZone: e.currentTarget.value })}>
              <option value="">Organization's ({orgZone.replace(/_/g, ' ')})</option>
              {withZone(zones, values.timeZone || orgZone).map((z) => (
                <option key={z} value={z}>
                  {z.replace(/_/g, ' ')}
                </option>
              ))}
            </select>
          </Field>
          {text('tags', 'Tags', { placeholder: 'diabetes, spanish-speaking', hint: 'Separate tags with commas.' })}
        </div>
      </FormSection>

      <FormSection title="Consent" description="What the patient agreed to receive, and anything that stops messages. Every change is kept in the consent history.">
        <fieldset class="consent-group">
          <legend>The patient agreed to receive</legend>
          {toggle('smsTransactionalOptIn', 'SMS reminders and care updates', 'Appointment reminders, directions, scheduling updates. No PHI by SMS.')}
          {toggle('smsMarketingOptIn', 'Marketing SMS', 'Newsletters, promotions and campaigns by text.')}
          {toggle('emailMarketingOptIn', 'Marketing email', 'Newsletters, promotions and campaigns by email.')}
          {consentChanged(values, initial) && (
            <div class="consent-source" role="radiogroup" aria-labelledby="consent-source-label" data-testid="consent-source">
              <p id="consent-source-label" class="consent-source-label">
                How did the patient give or withdraw this?
              </p>
              <label class="radio">
                <input type="radio" name="consentSource" value="intake" checked={values.consentSource === 'intake'} onChange={() => set({ consentSource: 'intake' })} />
                On an intake form
              </label>
              <label class="radio">
                <input type="radio" name="consentSource" value="staff" checked={values.consentSource === 'staff'} onChange={() => set({ consentSource: 'staff' })} />
                Told a staff member (in person or by phone)
              </label>
            </div>
          )}
        </fieldset>
        <fieldset class="consent-group">
          <legend>Stop messages</legend>
          {toggle('optedOut', 'Opted out of SMS', 'The patient replied STOP or asked not to be texted. No texts are sent.')}
          {toggle('blocked', 'Blocked by the clinic', 'No messages of any kind are sent to this patient.')}
          {toggle('emailSuppressed', 'Email suppressed', 'Emails bounced or were marked as spam. No email is sent.')}
          {toggle('unsubscribed', 'Unsubscribed from email', 'The patient unsubscribed from marketing email.')}
        </fieldset>
      </FormSection>

      <div class="form-actions">
        <a href={cancelHref} class="btn btn-ghost">
          Cancel
        </a>
        <SubmitButton pending={form.pending} label={submitLabel} pendingLabel="Saving…" testId="patient-save" />
      </div>
    </form>
  );
}

function FormSection({ title, description, children }: { title: string; description: string; children: ComponentChildren }) {
  return (
    <section class="card section form-section">
      <div class="form-section-head">
        <h2>{title}</h2>
        <p class="muted">{description}</p>
      </div>
      <div class="form-section-body">{children}</div>
    </section>
  );
}
