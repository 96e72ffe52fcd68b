import { useState } from 'preact/hooks';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { FormError } from '../../components/Field';
import { Modal } from '../../components/Modal';
import { useDismiss } from '../../lib/dismiss';
import { errorMessage } from '../../lib/errors';
import { useSubmit } from '../../lib/form';
import { notify } from '../../lib/notices';
import { currentOrg, signedIn } from '../../lib/session';
import { type RouterOutputs, trpc } from '../../lib/trpc';
import { type Colleague, PeoplePicker } from './PeoplePicker';

type OpenConversation = RouterOutputs['conversations']['get'];
type Person = NonNullable<OpenConversation['participants']>[number];
type Invitee = NonNullable<OpenConversation['invited']>[number];


/** What the caller may do with an internal chat's people (the server checks the same). */
export function peopleRights(c: Pick<OpenConversation, 'startedById'>, me: string | undefined, role: string | undefined) {
  const external = role === 'external';
  return { mayRemove: Boolean(me && (c.startedById === me || role === 'owner' || role === 'admin')), mayResend: !external };
}

/**
 * "People" in an internal chat's header: who is in it (External marked), Add people, Remove
 * (its starter or an org admin), Leave, and Resend invitation for an invitation mailed but not used.
 * `onChanged` re-reads the conversation; `onLeft` is called once the caller left.
 */
export function PeopleMenu({ conversation: c, onChanged, onLeft }: { conversation: OpenConversation; onChanged: () => void; onLeft: () => void }) {
  const [open, setOpen] = useState(false);
  const [dialog, setDialog] = useState<null | { kind: 'add' } | { kind: 'remove'; person: Person } | { kind: 'uninvite'; email: string } | { kind: 'leave' }>(null);
  const [resending, setResending] = useState<string | null>(null);
  const ref = useDismiss<HTMLDivElement>(open, () => setOpen(false));
  const me = signedIn.value?.user.id;
  const participants = c.participants ?? [];
  const invited = c.invited ?? [];
  const { mayRemove, mayResend } = peopleRights(c, me, currentOrg.value?.myRole);

  async function resend(email: string) {
    setResending(email);
    try {
      await trpc.conversations.resendInvite.mutate({ conversationId: c.id, email });
      notify(`A new invitation went to ${email}. The previous link no longer works.`, 'success', 8000);
      onChanged();
    } catch (err) {
      notify(errorMessage(err), 'error');
    } finally {
      setResending(null);
    }
  }

  const choose = (next: NonNullable<typeof dialog>) => {
    setOpen(false);
    setDialog(next);
  };

  return (
    <div class="people-menu" ref={ref}>
      <button type="button" class="btn btn-ghost btn-small" aria-haspopup="menu" aria-expanded={open} onClick={() => setOpen(!open)} data-testid="people-button">
        People ({participants.length + invited.length})
      </button>
      {open && (
        <div class="menu people-menu-list" role="menu" data-testid="people-menu">
          <ul class="people-list">
            {participants.map((p) => (
              <li key={p.id} class="people-row" data-testid="people-row">
                <span class="cell-strong">{p.id === me ? `${p.name} (you)` : p.name}</span>
                {p.external && <span class="badge badge-external badge-tiny" title={`From outside the organization: ${p.email}`}>External</span>}
                <span class="muted small">{p.email}</span>
                {p.id === me ? (
                  <button type="button" class="btn btn-ghost btn-small" onClick={() => choose({ kind: 'leave' })} data-testid="leave-chat">
                    Leave
                  </button>
                ) : (
                  mayRemove && (
                    <button type="button" class="btn btn-ghost btn-small" onClick={() => choose({ kind: 'remove', person: p })} data-testid="remove-person">
                      Remove
                    </button>
                  )
                )}
              </li>
            ))}
            {invited.map((i) => (
              <li key={i.email} class="people-row" data-testid="people-invited">
                <span class="cell-strong">{i.email}</span>
                <span class="badge badge-external badge-tiny">External</span>
                <span class="muted small">{inviteState(i)}</span>
                {i.sent && mayResend && (
                  <button type="button" class="btn btn-ghost btn-small" disabled={resending === i.email} onClick={() => void resend(i.email)} data-testid="resend-invitation">
                    {resending === i.email ? 'Sending…' : 'Resend invitation'}
                  </button>
                )}
                {mayRemove && (
                  <button type="button" class="btn btn-ghost btn-small" onClick={() => choose({ kind: 'uninvite', email: i.email })} data-testid="remove-invited">
                    Remove
                  </button>
                )}
              </li>
            ))}
          </ul>
          <button type="button" role="menuitem" class="menu-item" onClick={() => choose({ kind: 'add' })} data-testid="add-people">
            Add people
          </button>
        </div>
      )}
      {dialog?.kind === 'add' && <AddPeopleDialog conversationId={c.id} inChat={participants} invited={invited} onClose={() => setDialog(null)} onAdded={onChanged} />}
      {dialog?.kind === 'remove' && (
        <ConfirmDialog title={`Remove ${dialog.person.name}?`} confirmLabel="Remove" onClose={() => setDialog(null)} onConfirm={() => trpc.conversations.removePerson.mutate({ conversationId: c.id, userId: dialog.person.id }).then(onChanged)}>
          <p>{dialog.person.name} will no longer see this chat, its messages or its files. Everyone in it sees that you removed them.</p>
        </ConfirmDialog>
      )}
      {dialog?.kind === 'uninvite' && (
        <ConfirmDialog title={`Remove ${dialog.email}?`} confirmLabel="Remove" onClose={() => setDialog(null)} onConfirm={() => trpc.conversations.removePerson.mutate({ conversationId: c.id, email: dialog.email }).then(onChanged)}>
          <p>Their invitation is withdrawn: the link in their email stops working.</p>
        </ConfirmDialog>
      )}
      {dialog?.kind === 'leave' && (
        <ConfirmDialog title="Leave this chat?" confirmLabel="Leave" onClose={() => setDialog(null)} onConfirm={() => trpc.conversations.leave.mutate({ conversationId: c.id }).then(onLeft)}>
          <p>You will no longer see this chat. Someone in it can add you again.</p>
        </ConfirmDialog>
      )}
    </div>
  );
}

function inviteState(i: Invitee): string {
  if (!i.sent) return 'Invited with the next message';
  return i.expired ? 'Invitation link expired' : 'Invited, has not joined yet';
}

/** Add people: colleagues (and, where allowed, addresses outside the org) join with the whole history. */
export function AddPeopleDialog({ conversationId, inChat, invited, onClose, onAdded }: { conversationId: string; inChat: Person[]; invited: Invitee[]; onClose: () => void; onAdded: () => void }) {
  const [picked, setPicked] = useState<Colleague[]>([]);
  const [invitees, setInvitees] = useState<string[]>([]);
  const adder = useSubmit();
  const org = currentOrg.value;
  const external = org?.myRole === 'external';
  const mayInvite = !external && Boolean(org?.policies?.externalChatAllowed);
  const count = picked.length + invitees.length;

  async function add() {
    const result = await adder.run(() => trpc.conversations.addPeople.mutate({ conversationId, userIds: picked.map((p) => p.id), emails: invitees.length ? invitees : undefined }));
    if (result.ok) {
      onAdded();
      onClose();
    }
  }

  return (
    <Modal
      title="Add people"
      wide
      onClose={onClose}
      busy={adder.pending}
      testId="add-people-dialog"
      actions={
        <>
          <button type="button" class="btn btn-secondary" onClick={onClose} disabled={adder.pending}>
            Cancel
          </button>
          <button type="button" class="btn btn-primary" onClick={() => void add()} disabled={adder.pending || count === 0} data-testid="add-people-submit">
            {adder.pending ? 'Adding…' : count > 1 ? `Add ${count} people` : 'Add'}
          </button>
        </>
      }
    >
      <PeoplePicker
        inputId="add-people-to"
        label="Add"
        placeholder={mayInvite ? 'Name or email of a colleague, or an email outside your organization' : 'Name or email of a colleague'}
        picked={picked}
        onPicked={setPicked}
        invitees={invitees}
        onInvitees={setInvitees}
        excludeIds={inChat.map((p) => p.id)}
        excludeEmails={invited.map((i) => i.email)}
        mayInvite={mayInvite}
        notAllowed={(address) => (external ? 'You can add the people you already talk to here, and colleagues from your own organization.' : `${address} is not in your organization.`)}
        empty={(search) => (search ? `No colleague matches “${search}”.` : 'Everyone you can add is in the chat already.')}
      />
      <p class="alert alert-info small" data-testid="history-note">
        <strong>They will see the earlier messages</strong> and files of this chat. Everyone in it sees who added them.
      </p>
      {invitees.length > 0 && (
        <p class="alert alert-warning small" data-testid="external-note">
          <strong>Outside your organization.</strong> {invitees.join(', ')} {invitees.length === 1 ? 'gets' : 'get'} an invitation email with the next message sent in this chat.
        </p>
      )}
      <FormError message={adder.formError} />
    </Modal>
  );
}
