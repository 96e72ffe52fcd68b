import { useEffect, useState } from 'preact/hooks';
import { FormError } from '../../components/Field';
import { Modal } from '../../components/Modal';
import { useSubmit } from '../../lib/form';
import { useQuery } from '../../lib/query';
import { currentOrg } from '../../lib/session';
import { type RouterOutputs, trpc } from '../../lib/trpc';

type Colleague = RouterOutputs['conversations']['colleagues'][number];

const SEARCH_DELAY_MS = 200;
/** Looks like an address: the server validates it for real. */
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** "Chat with: Patient | Colleagues" at the top of Create a chat: which dialog is showing. */
export function ChatWithSwitch({ value, onChange }: { value: 'patient' | 'colleagues'; onChange: (next: 'patient' | 'colleagues') => void }) {
  return (
    <div class="field chat-with">
      <span class="small muted">Chat with</span>
      <div class="segmented" role="group" aria-label="Chat with">
        <button type="button" class={value === 'patient' ? 'active' : ''} aria-pressed={value === 'patient'} onClick={() => onChange('patient')} data-testid="chat-with-patient">
          Patient
        </button>
        <button type="button" class={value === 'colleagues' ? 'active' : ''} aria-pressed={value === 'colleagues'} onClick={() => onChange('colleagues')} data-testid="chat-with-colleagues">
          Colleagues
        </button>
      </div>
    </div>
  );
}

type Props = {
  onClose: () => void;
  onStarted: (conversationId: string) => void;
  onChatWithPatient: () => void;
};

/**
 * Create a chat with colleagues: pick one or more members of the org; the internal conversation
 * (only the people in it see it; it never leaves CareText) opens, or the one these people
 * already have. Where the org allows external chat, an email address of someone outside it can
 * be typed too: they get an invitation email when the first message is sent.
 */
export function NewInternalChatDialog({ onClose, onStarted, onChatWithPatient }: Props) {
  const [text, setText] = useState('');
  const [search, setSearch] = useState('');
  const [picked, setPicked] = useState<Colleague[]>([]);
  const [invitees, setInvitees] = useState<string[]>([]);
  const starter = useSubmit();
  const org = currentOrg.value;
  const external = org?.myRole === 'external';
  const mayInvite = !external && Boolean(org?.policies?.externalChatAllowed);

  useEffect(() => {
    const timer = setTimeout(() => setSearch(text.trim()), SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [text]);
  const found = useQuery(() => trpc.conversations.colleagues.query({ query: search || undefined }), [search]);
  const pickedIds = new Set(picked.map((p) => p.id));
  const options = (found.data ?? []).filter((c) => !pickedIds.has(c.id));
  // An address typed in full that is not a colleague's: someone outside the organization.
  const typedEmail = EMAIL.test(text.trim()) ? text.trim().toLowerCase() : null;
  const outsider = typedEmail && !found.loading && !(found.data ?? []).some((c) => c.email.toLowerCase() === typedEmail) && !invitees.includes(typedEmail) ? typedEmail : null;
  const count = picked.length + invitees.length;

  function add(c: Colleague) {
    setPicked((current) => (current.some((p) => p.id === c.id) ? current : [...current, c]));
    setText('');
  }

  function invite(email: string) {
    setInvitees((current) => (current.includes(email) ? current : [...current, email]));
    setText('');
  }

  async function start() {
    if (!count) return;
    const result = await starter.run(() => trpc.conversations.startInternal.mutate({ userIds: picked.map((p) => p.id), emails: invitees.length ? invitees : undefined }));
    if (result.ok) onStarted(result.value.conversationId);
  }

  return (
    <Modal
      title="Create a chat"
      wide
      onClose={onClose}
      busy={starter.pending}
      testId="new-internal-chat-dialog"
      actions={
        <>
          <button type="button" class="btn btn-secondary" onClick={onClose} disabled={starter.pending}>
            Cancel
          </button>
          <button type="button" class="btn btn-primary" onClick={start} disabled={starter.pending || count === 0} data-testid="start-internal-chat">
            {starter.pending ? 'Starting…' : 'Start conversation'}
          </button>
        </>
      }
    >
      {!external && <ChatWithSwitch value="colleagues" onChange={(next) => next === 'patient' && onChatWithPatient()} />}
      <div class="field">
        <label for="new-internal-to">To</label>
        <div class="recipient-box">
          {picked.map((p) => (
            <span key={p.id} class="member-chip recipient-chip" data-testid="picked-colleague">
              <span>{p.name}</span>
              {p.external && <span class="badge badge-external badge-tiny">External</span>}
              <button type="button" class="chip-remove" aria-label={`Remove ${p.name}`} onClick={() => setPicked(picked.filter((x) => x.id !== p.id))}>
                ×
              </button>
            </span>
          ))}
          {invitees.map((email) => (
            <span key={email} class="member-chip recipient-chip" data-testid="picked-external">
              <span>{email}</span>
              <span class="badge badge-external badge-tiny">External</span>
              <button type="button" class="chip-remove" aria-label={`Remove ${email}`} onClick={() => setInvitees(invitees.filter((x) => x !== email))}>
                ×
              </button>
            </span>
          ))}
          <input
            id="new-internal-to"
            value={text}
            placeholder={count ? 'Add another person' : mayInvite ? 'Name or email of a colleague, or an email outside your organization' : 'Name or email of a colleague'}
            autoComplete="off"
            spellcheck={false}
            onInput={(e) => setText(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key !== 'Enter') return;
              e.preventDefault();
              // A full address is that person (the server makes a member's address the member);
              // otherwise the one colleague the search found.
              if (typedEmail) {
                const colleague = (found.data ?? []).find((c) => c.email.toLowerCase() === typedEmail);
                if (colleague) add(colleague);
                else if (outsider && mayInvite) invite(outsider);
              } else if (options.length === 1) add(options[0]!);
            }}
            data-autofocus
            data-testid="new-internal-to"
          />
        </div>
        {outsider &&
          (mayInvite ? (
            <ul class="patient-options" role="listbox" aria-label="Invite by email">
              <li>
                <button type="button" class="patient-option" onClick={() => invite(outsider)} data-testid="invite-external-option">
                  <span class="badge badge-external">External</span>
                  <span class="cell-strong">Invite {outsider}</span>
                  <span class="muted small">Outside your organization</span>
                </button>
              </li>
            </ul>
          ) : (
            <p class="small muted" data-testid="external-not-allowed">
              {external
                ? 'You can start chats with the people you already talk to here, and with colleagues from your own organization.'
                : `${outsider} is not in your organization. An admin can allow chats with people outside it under Settings → Policies → Allow external chat.`}
            </p>
          ))}
        {found.loading ? (
          <p class="small muted">Loading colleagues…</p>
        ) : found.error ? (
          <p class="field-error" data-testid="colleagues-error">
            {found.error}
          </p>
        ) : options.length > 0 ? (
          <ul class="patient-options" role="listbox" aria-label="Colleagues">
            {options.slice(0, 8).map((c) => (
              <li key={c.id}>
                <button type="button" class="patient-option" onClick={() => add(c)} data-testid="colleague-option">
                  {c.external ? <span class="badge badge-external">External</span> : <span class="badge badge-soft">Colleague</span>}
                  <span class="cell-strong">{c.name}</span>
                  <span class="muted small">{c.email}</span>
                </button>
              </li>
            ))}
          </ul>
        ) : (
          <p class="small muted" data-testid="no-colleagues">
            {outsider ? null : search ? `No colleague matches “${search}”.` : picked.length ? 'Everyone is in the chat already.' : external ? 'Nobody to add yet.' : 'No colleagues yet: an admin invites people under Directory → Members.'}
          </p>
        )}
      </div>
      <p class="alert alert-info small internal-note" data-testid="internal-note">
        <strong>Internal.</strong> Only the people in this chat see it. Messages and files stay on CareText: nothing is sent by SMS or to a patient.
      </p>
      {invitees.length > 0 && (
        <p class="alert alert-warning small" data-testid="external-note">
          <strong>Outside your organization.</strong> {invitees.join(', ')} {invitees.length === 1 ? 'gets' : 'get'} an invitation email when you send the first message in this chat (adding the address alone sends
          nothing). Your organization's policies do not bind them.
        </p>
      )}
      <FormError message={starter.formError} />
    </Modal>
  );
}
