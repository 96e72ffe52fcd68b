import { useEffect, useState } from 'preact/hooks';
import { useQuery } from '../../lib/query';
import { type RouterOutputs, trpc } from '../../lib/trpc';

export type Colleague = RouterOutputs['conversations']['colleagues'][number];

const SEARCH_DELAY_MS = 200;
/** Looks like an address: the server validates it for real. */
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

type Props = {
  /** The input's id and test id (`new-internal-to`, `add-people-to`). */
  inputId: string;
  label: string;
  placeholder: string;
  picked: Colleague[];
  onPicked: (next: Colleague[]) => void;
  invitees: string[];
  onInvitees: (next: string[]) => void;
  /** People already in the chat: not offered again. */
  excludeIds?: readonly string[];
  /** Addresses already invited: not offered again. */
  excludeEmails?: readonly string[];
  /** Addresses outside the organization may be invited (the org allows external chat, and the caller is not external). */
  mayInvite: boolean;
  /** Said under an address outside the organization that may not be invited. */
  notAllowed: (address: string) => string;
  /** Said when the search offers nobody. */
  empty: (search: string) => string;
};

/**
 * The "To" of Create a chat and the "Add" of Add people: chips for the people picked (External
 * marked) and the addresses to invite, a search of the org's colleagues (and the external people
 * the caller already talks to), and, where allowed, "Invite <address>" for an address typed in
 * full that is nobody's here. Enter takes the colleague whose address was typed, else that
 * invitation, else the one colleague the search found.
 */
export function PeoplePicker(p: Props) {
  const [text, setText] = useState('');
  const [search, setSearch] = useState('');

  useEffect(() => {
    const timer = setTimeout(() => setSearch(text.trim()), SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [text]);
  const found = useQuery(() => trpc.conversations.colleagues.query({ query: search || undefined }), [search]);
  const taken = new Set([...(p.excludeIds ?? []), ...p.picked.map((c) => c.id)]);
  const options = (found.data ?? []).filter((c) => !taken.has(c.id));
  // An address typed in full that is not a colleague's: someone outside the organization.
  const typedEmail = EMAIL.test(text.trim()) ? text.trim().toLowerCase() : null;
  const outsider =
    typedEmail && !found.loading && !(found.data ?? []).some((c) => c.email.toLowerCase() === typedEmail) && !p.invitees.includes(typedEmail) && !(p.excludeEmails ?? []).includes(typedEmail)
      ? typedEmail
      : null;

  function add(c: Colleague) {
    if (!p.picked.some((x) => x.id === c.id)) p.onPicked([...p.picked, c]);
    setText('');
  }

  function invite(email: string) {
    if (!p.invitees.includes(email)) p.onInvitees([...p.invitees, email]);
    setText('');
  }

  return (
    <div class="field">
      <label for={p.inputId}>{p.label}</label>
      <div class="recipient-box">
        {p.picked.map((c) => (
          <span key={c.id} class="member-chip recipient-chip" data-testid="picked-colleague">
            <span>{c.name}</span>
            {c.external && <span class="badge badge-external badge-tiny">External</span>}
            <button type="button" class="chip-remove" aria-label={`Remove ${c.name}`} onClick={() => p.onPicked(p.picked.filter((x) => x.id !== c.id))}>
              ×
            </button>
          </span>
        ))}
        {p.invitees.map((email) => (
          <span key={email} class="member-chip recipient-chip" data-testid="picked-external">
            <span>{email}</span>
            <span class="badge badge-external badge-tiny">External</span>
            <button type="button" class="chip-remove" aria-label={`Remove ${email}`} onClick={() => p.onInvitees(p.invitees.filter((x) => x !== email))}>
              ×
            </button>
          </span>
        ))}
        <input
          id={p.inputId}
          value={text}
          placeholder={p.placeholder}
          autoComplete="off"
          spellcheck={false}
          onInput={(e) => setText(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key !== 'Enter') return;
            e.preventDefault();
            // A full address is that person (the server makes a member's address the member);
            // otherwise the one colleague the search found.
            if (typedEmail) {
              const colleague = options.find((c) => c.email.toLowerCase() === typedEmail);
              if (colleague) add(colleague);
              else if (outsider && p.mayInvite) invite(outsider);
            } else if (options.length === 1) add(options[0]!);
          }}
          data-autofocus
          data-testid={p.inputId}
        />
      </div>
      {outsider &&
        (p.mayInvite ? (
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
            {p.notAllowed(outsider)}
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
        !outsider && (
          <p class="small muted" data-testid="no-colleagues">
            {p.empty(search)}
          </p>
        )
      )}
    </div>
  );
}
