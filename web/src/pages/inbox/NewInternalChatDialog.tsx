import { useState } from 'preact/hooks';
import { FormError } from '../../components/Field';
import { Modal } from '../../components/Modal';
import { useSubmit } from '../../lib/form';
import { currentOrg } from '../../lib/session';
import { trpc } from '../../lib/trpc';
import { type Colleague, PeoplePicker } from './PeoplePicker';

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
  const [picked, setPicked] = useState<Colleague[]>([]);
  const [invitees, setInvitees] = useState<string[]>([]);
  const starter = useSubmit();
  const org = currentOrg.value;
  const external = org?.myRole === 'external';
  const mayInvite = !external && Boolean(org?.policies?.externalChatAllowed);
  const count = picked.length + invitees.length;

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
      <PeoplePicker
        inputId="new-internal-to"
        label="To"
        placeholder={count ? 'Add another person' : mayInvite ? 'Name or email of a colleague, or an email outside your organization' : 'Name or email of a colleague'}
        picked={picked}
        onPicked={setPicked}
        invitees={invitees}
        onInvitees={setInvitees}
        mayInvite={mayInvite}
        notAllowed={(address) =>
          external
            ? 'You can start chats with the people you already talk to here, and with colleagues from your own organization.'
            : `${address} is not in your organization. An admin can allow chats with people outside it under Settings → Policies → Allow external chat.`
        }
        empty={(search) =>
          search ? `No colleague matches “${search}”.` : picked.length ? 'Everyone is in the chat already.' : external ? 'Nobody to add yet.' : 'No colleagues yet: an admin invites people under Directory → Members.'
        }
      />
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
