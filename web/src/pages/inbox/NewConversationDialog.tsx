import { type Channel, channelChoice, formatPhoneForDisplay, normalizePhone } from '@caretext/shared';
import { useEffect, useState } from 'preact/hooks';
import { FormError } from '../../components/Field';
import { LockIcon, PhoneIcon } from '../../components/icons';
import { Modal } from '../../components/Modal';
import { formatCalendarDate } from '../../lib/dates';
import { useSubmit } from '../../lib/form';
import { notify } from '../../lib/notices';
import { useQuery } from '../../lib/query';
import { type RouterOutputs, trpc } from '../../lib/trpc';
import { patientLabel } from '../directory/patients/display';
import { ChatWithSwitch } from './NewInternalChatDialog';

/** `hasDob: false` warns that Secure Chat needs a date of birth (unknown when left out). */
export type PatientPick = { id: string; displayName: string; detail: string | null; hasDob?: boolean };
type PatientSummary = RouterOutputs['patients']['list']['patients'][number];
type Team = RouterOutputs['teams']['list'][number];
type PhoneNumber = RouterOutputs['numbers']['list'][number];

const SEARCH_DELAY_MS = 250;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** What a typed contact is, so the dialog can offer "Patient (415) 555-2671". */
export function contactOf(text: string): { kind: 'phone' | 'email'; display: string } | null {
  const value = text.trim();
  if (value.length < 3) return null;
  const phone = normalizePhone(value);
  if (phone) return { kind: 'phone', display: formatPhoneForDisplay(phone) };
  if (EMAIL.test(value)) return { kind: 'email', display: value.toLowerCase() };
  return null;
}

function pickOf(p: PatientSummary): PatientPick {
  const detail = [p.phone && formatPhoneForDisplay(p.phone), p.dob && `born ${formatCalendarDate(p.dob)}`, !p.phone && p.email].filter(Boolean).join(' · ');
  return { id: p.id, displayName: patientLabel(p), detail: detail || null, hasDob: Boolean(p.dob) };
}

/** The team to send from when the dialog opens: the inbox's scope, else the first of mine with a number. */
function defaultTeam(mine: Team[], numbers: PhoneNumber[], preferred: string | null | undefined): string {
  if (preferred && mine.some((t) => t.id === preferred)) return preferred;
  return (mine.find((t) => numbers.some((n) => n.team.id === t.id)) ?? mine[0])?.id ?? '';
}

type DialogProps = {
  /** Already chosen, e.g. from a patient's profile ("Text patient"). */
  initialPatients?: PatientPick[];
  defaultTeamId?: string | null;
  onClose: () => void;
  onStarted: (conversationId: string, teamId: string) => void;
  /** Offered from the Inbox: the switch to Create a chat with colleagues (an internal chat). */
  onChatWithColleagues?: () => void;
};

/**
 * Create a chat: pick (or create, by phone or email) the patient, the team to send from, then the
 * channel (channelChoice, as the composers decide): SMS only for exactly one patient and a team
 * with a number, Secure Chat for one patient with a date of birth on any of my teams; otherwise
 * the dialog says what is missing.
 */
export function NewConversationDialog({ initialPatients = [], defaultTeamId, onClose, onStarted, onChatWithColleagues }: DialogProps) {
  const [text, setText] = useState('');
  const [search, setSearch] = useState('');
  const [picked, setPicked] = useState<PatientPick[]>(initialPatients);
  const [contactMatches, setContactMatches] = useState<PatientPick[]>([]);
  const [teamId, setTeamId] = useState('');
  /** The channel the person picked; null until they pick one (then the preferred one applies). */
  const [chosen, setChannel] = useState<Channel | null>(null);
  const finder = useSubmit();
  const starter = useSubmit();

  const teams = useQuery(() => trpc.teams.list.query(), []);
  const numbers = useQuery(() => trpc.numbers.list.query(), []);
  const mine = (teams.data ?? []).filter((t) => t.isMine);
  const ready = teams.data !== undefined && !numbers.loading;

  useEffect(() => {
    if (ready && !teamId) setTeamId(defaultTeam(mine, numbers.data ?? [], defaultTeamId));
  }, [ready]);

  useEffect(() => {
    const timer = setTimeout(() => setSearch(text.trim()), SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [text]);

  const results = useQuery(
    () => (search.length >= 2 ? trpc.patients.list.query({ query: search, pageSize: 5 }) : Promise.resolve(null)),
    [search],
  );
  const ids = picked.map((p) => p.id);
  const availability = useQuery(() => (teamId ? trpc.conversations.availability.query({ teamId, patientIds: ids }) : Promise.resolve(null)), [teamId, ids.join(',')]);
  const sms = availability.data?.sms;
  const secure = availability.data?.secure;
  const choice = channelChoice(availability.data);
  // SMS where it is possible, else Secure Chat; a pick that stops being possible gives way to that.
  // Worked out while rendering (not in an effect), so what is offered and what is chosen never disagree.
  const channel = chosen && choice.offered.includes(chosen) ? chosen : choice.preferred;

  const contact = contactOf(text);
  const pickedIds = new Set(ids);
  const options = (results.data?.patients ?? []).map(pickOf).filter((p) => !pickedIds.has(p.id));

  function add(p: PatientPick) {
    setPicked((current) => (current.some((c) => c.id === p.id) ? current : [...current, p]));
    setText('');
    setSearch('');
    setContactMatches([]);
  }

  async function findOrCreate() {
    const result = await finder.run(() => trpc.patients.findOrCreateByContact.mutate({ contact: text.trim() }));
    if (!result.ok) return;
    const found = result.value.patients.map(pickOf);
    if (result.value.created) notify(`${found[0]!.displayName} added to the directory.`);
    if (found.length === 1) add(found[0]!);
    else setContactMatches(found.filter((p) => !pickedIds.has(p.id)));
  }

  async function start() {
    if (!channel || !choice.offered.includes(channel) || picked.length !== 1) return;
    const input = { teamId, patientId: picked[0]!.id };
    const result = await starter.run(() => (channel === 'sms' ? trpc.conversations.startSms.mutate(input) : trpc.conversations.startSecure.mutate(input)));
    if (result.ok) onStarted(result.value.conversationId, teamId);
  }

  const teamNumber = (numbers.data ?? []).find((n) => n.team.id === teamId);

  return (
    <Modal
      title="Create a chat"
      wide
      onClose={onClose}
      busy={starter.pending}
      testId="new-conversation-dialog"
      actions={
        <>
          <button type="button" class="btn btn-secondary" onClick={onClose} disabled={starter.pending}>
            Cancel
          </button>
          <button type="button" class="btn btn-primary" onClick={start} disabled={starter.pending || !channel || picked.length !== 1} data-testid="start-conversation">
            {starter.pending ? 'Starting…' : 'Start conversation'}
          </button>
        </>
      }
    >
      {onChatWithColleagues && <ChatWithSwitch value="patient" onChange={(next) => next === 'colleagues' && onChatWithColleagues()} />}
      <div class="field">
        <label for="new-conversation-to">To</label>
        <div class="recipient-box">
          {picked.map((p) => (
            <span key={p.id} class="member-chip recipient-chip" data-testid="picked-patient">
              <span>{p.displayName}</span>
              <button type="button" class="chip-remove" aria-label={`Remove ${p.displayName}`} onClick={() => setPicked(picked.filter((x) => x.id !== p.id))}>
                ×
              </button>
            </span>
          ))}
          <input
            id="new-conversation-to"
            value={text}
            placeholder={picked.length ? 'Add another patient' : 'Phone number, email or name'}
            autoComplete="off"
            spellcheck={false}
            onInput={(e) => {
              setText(e.currentTarget.value);
              setContactMatches([]);
              finder.setFormError(null);
            }}
            onKeyDown={(e) => {
              if (e.key !== 'Enter') return;
              e.preventDefault();
              if (contact) void findOrCreate();
              else if (options.length === 1) add(options[0]!);
            }}
            data-autofocus
            data-testid="new-conversation-to"
          />
        </div>
        {(contact || options.length > 0 || contactMatches.length > 0) && (
          <ul class="patient-options" role="listbox" aria-label="Patients">
            {contact && contactMatches.length === 0 && (
              <li>
                <button type="button" class="patient-option" onClick={findOrCreate} disabled={finder.pending} data-testid="contact-option">
                  <span class="badge badge-soft">Patient</span>
                  <span class="cell-strong">{contact.display}</span>
                  <span class="muted small">{finder.pending ? 'Looking up…' : 'Select: finds the patient, or adds them to the directory'}</span>
                </button>
              </li>
            )}
            {contactMatches.length > 0 && <li class="muted small patient-options-note">{contactMatches.length} patients share this contact. Pick who you are writing to.</li>}
            {[...contactMatches, ...options.filter((o) => !contactMatches.some((m) => m.id === o.id))].map((p) => (
              <li key={p.id}>
                <button type="button" class="patient-option" onClick={() => add(p)} data-testid="patient-option">
                  <span class="cell-strong">{p.displayName}</span>
                  {p.detail && <span class="muted small">{p.detail}</span>}
                </button>
              </li>
            ))}
          </ul>
        )}
        <FormError message={finder.formError} />
      </div>

      <div class="field">
        <label for="new-conversation-team">Send from</label>
        {ready && mine.length === 0 ? (
          <p class="alert alert-info" data-testid="no-team">
            You're not on a team yet. An admin adds people to a phone number's team under Directory → Phone numbers.
          </p>
        ) : (
          <select id="new-conversation-team" value={teamId} onChange={(e) => setTeamId(e.currentTarget.value)} disabled={!ready} data-testid="send-from">
            {mine.map((t) => {
              const n = (numbers.data ?? []).find((x) => x.team.id === t.id);
              return (
                <option key={t.id} value={t.id}>
                  {n ? `${t.name} · ${n.display}` : `${t.name} (no phone number)`}
                </option>
              );
            })}
          </select>
        )}
      </div>

      <fieldset class="channels" role="radiogroup" aria-label="Send as">
        <button
          type="button"
          role="radio"
          aria-checked={channel === 'secure'}
          class={`channel${channel === 'secure' ? ' channel-selected' : ''}${secure?.available ? '' : ' channel-disabled'}`}
          disabled={!secure?.available}
          onClick={() => setChannel('secure')}
          data-testid="channel-secure"
          data-available={secure?.available ? 'true' : 'false'}
        >
          <span class="channel-icon">
            <LockIcon />
          </span>
          <span class="channel-text">
            <span class="channel-title">Secure Chat</span>
            <span class="muted small">The patient gets a link to the secure portal and confirms their date of birth. Use for PHI: lab results, records, files.</span>
            {secure && !secure.available && teamId && !availability.loading ? (
              <span class="small channel-reason" data-testid="secure-reason">
                {secure.reason}
              </span>
            ) : picked.length === 1 && picked[0]!.hasDob === false ? (
              <span class="small channel-reason" data-testid="secure-needs-dob">
                No date of birth on file: add it to the patient before sending, the portal asks for it.
              </span>
            ) : null}
          </span>
        </button>
        <button
          type="button"
          role="radio"
          aria-checked={channel === 'sms'}
          class={`channel${channel === 'sms' ? ' channel-selected' : ''}${sms?.available ? '' : ' channel-disabled'}`}
          disabled={!sms?.available}
          onClick={() => setChannel('sms')}
          data-testid="channel-sms"
          data-available={sms?.available ? 'true' : 'false'}
        >
          <span class="channel-icon">
            <PhoneIcon />
          </span>
          <span class="channel-text">
            <span class="channel-title">SMS (Text Message)</span>
            <span class="muted small">
              A plain text from {teamNumber ? <span class="nowrap">{teamNumber.display}</span> : 'your team’s number'}. For reminders, directions and scheduling; never PHI.
            </span>
            {availability.loading && teamId ? (
              <span class="small muted">Checking…</span>
            ) : sms && !sms.available ? (
              <span class="small channel-reason" data-testid="sms-reason">
                {sms.reason}
              </span>
            ) : availability.error ? (
              <span class="small channel-reason">{availability.error}</span>
            ) : null}
          </span>
        </button>
      </fieldset>
      <FormError message={starter.formError} />
    </Modal>
  );
}
