import { useEffect, useState } from 'preact/hooks';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { FormError } from '../../components/Field';
import { Modal } from '../../components/Modal';
import { useDismiss } from '../../lib/dismiss';
import { errorMessage } from '../../lib/errors';
import { useSubmit } from '../../lib/form';
import { notify } from '../../lib/notices';
import { useQuery } from '../../lib/query';
import { currentOrg, signedIn } from '../../lib/session';
import { type RouterOutputs, trpc } from '../../lib/trpc';

type OpenConversation = RouterOutputs['conversations']['get'];
type Colleague = RouterOutputs['conversations']['colleagues'][number];
type Person = NonNullable<OpenConversation['participants']>[number];
type Invitee = NonNullable<OpenConversation['invited']>[number];

const SEARCH_DELAY_MS = 200;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

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
  const [text, setText] = useState('');
  const [search, setSearch] = useState('');
  const [picked, setPicked] = useState<Colleague[]>([]);
  const [invitees, setInvitees] = useState<string[]>([]);
  const adder = useSubmit();
  const org = currentOrg.value;
  const mayInvite = org?.myRole !== 'external' && Boolean(org?.policies?.externalChatAllowed);

  useEffect(() => {
    const timer = setTimeout(() => setSearch(text.trim()), SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [text]);
  const found = useQuery(() => trpc.conversations.colleagues.query({ query: search || undefined }), [search]);
  const taken = new Set([...inChat.map((p) => p.id), ...picked.map((p) => p.id)]);
  const options = (found.data ?? []).filter((c) => !taken.has(c.id));
  const typedEmail = EMAIL.test(text.trim()) ? text.trim().toLowerCase() : null;
  const outsider =
    typedEmail && !found.loading && !(found.data ?? []).some((c) => c.email.toLowerCase() === typedEmail) && !invitees.includes(typedEmail) && !invited.some((i) => i.email === typedEmail) ? typedEmail : null;
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
      <div class="field">
        <label for="add-people-to">Add</label>
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
            id="add-people-to"
            value={text}
            placeholder={mayInvite ? 'Name or email of a colleague, or an email outside your organization' : 'Name or email of a colleague'}
            autoComplete="off"
            spellcheck={false}
            onInput={(e) => setText(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key !== 'Enter') return;
              e.preventDefault();
              if (outsider && mayInvite) {
                setInvitees([...invitees, outsider]);
                setText('');
              } else if (options.length === 1) {
                setPicked([...picked, options[0]!]);
                setText('');
              }
            }}
            data-autofocus
            data-testid="add-people-to"
          />
        </div>
        {outsider &&
          (mayInvite ? (
            <ul class="patient-options" role="listbox" aria-label="Invite by email">
              <li>
                <button type="button" class="patient-option" onClick={() => (setInvitees([...invitees, outsider]), setText(''))} data-testid="invite-external-option">
                  <span class="badge badge-external">External</span>
                  <span class="cell-strong">Invite {outsider}</span>
                  <span class="muted small">Outside your organization</span>
                </button>
              </li>
            </ul>
          ) : (
            <p class="small muted" data-testid="external-not-allowed">
              {org?.myRole === 'external' ? 'You can add the people you already talk to here, and colleagues from your own organization.' : `${outsider} is not in your organization.`}
            </p>
          ))}
        {found.loading ? (
          <p class="small muted">Loading colleagues…</p>
        ) : found.error ? (
          <p class="field-error">{found.error}</p>
        ) : options.length > 0 ? (
          <ul class="patient-options" role="listbox" aria-label="Colleagues">
            {options.slice(0, 8).map((c) => (
              <li key={c.id}>
                <button type="button" class="patient-option" onClick={() => (setPicked([...picked, c]), setText(''))} data-testid="colleague-option">
                  {c.external ? <span class="badge badge-external">External</span> : <span class="badge badge-soft">Colleague</span>}
                  <span class="cell-strong">{c.name}</span>
                  <span class="muted small">{c.email}</span>
                </button>
              </li>
            ))}
          </ul>
        ) : (
          !outsider && <p class="small muted" data-testid="no-colleagues">{search ? `No colleague matches “${search}”.` : 'Everyone you can add is in the chat already.'}</p>
        )}
      </div>
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
