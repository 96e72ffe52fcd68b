import { useEffect, useState } from 'preact/hooks';
import { FormError } from '../../components/Field';
import { Modal } from '../../components/Modal';
import { useSubmit } from '../../lib/form';
import { useQuery } from '../../lib/query';
import { type RouterOutputs, trpc } from '../../lib/trpc';

type Colleague = RouterOutputs['conversations']['colleagues'][number];

const SEARCH_DELAY_MS = 200;

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
 * already have.
 */
export function NewInternalChatDialog({ onClose, onStarted, onChatWithPatient }: Props) {
  const [text, setText] = useState('');
  const [search, setSearch] = useState('');
  const [picked, setPicked] = useState<Colleague[]>([]);
  const starter = useSubmit();

  useEffect(() => {
    const timer = setTimeout(() => setSearch(text.trim()), SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [text]);
  const found = useQuery(() => trpc.conversations.colleagues.query({ query: search || undefined }), [search]);
  const pickedIds = new Set(picked.map((p) => p.id));
  const options = (found.data ?? []).filter((c) => !pickedIds.has(c.id));

  function add(c: Colleague) {
    setPicked((current) => (current.some((p) => p.id === c.id) ? current : [...current, c]));
    setText('');
  }

  async function start() {
    if (!picked.length) return;
    const result = await starter.run(() => trpc.conversations.startInternal.mutate({ userIds: picked.map((p) => p.id) }));
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
          <button type="button" class="btn btn-primary" onClick={start} disabled={starter.pending || picked.length === 0} data-testid="start-internal-chat">
            {starter.pending ? 'Starting…' : 'Start conversation'}
          </button>
        </>
      }
    >
      <ChatWithSwitch value="colleagues" onChange={(next) => next === 'patient' && onChatWithPatient()} />
      <div class="field">
        <label for="new-internal-to">To</label>
        <div class="recipient-box">
          {picked.map((p) => (
            <span key={p.id} class="member-chip recipient-chip" data-testid="picked-colleague">
              <span>{p.name}</span>
              <button type="button" class="chip-remove" aria-label={`Remove ${p.name}`} onClick={() => setPicked(picked.filter((x) => x.id !== p.id))}>
                ×
              </button>
            </span>
          ))}
          <input
            id="new-internal-to"
            value={text}
            placeholder={picked.length ? 'Add another colleague' : 'Name or email of a colleague'}
            autoComplete="off"
            spellcheck={false}
            onInput={(e) => setText(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key !== 'Enter') return;
              e.preventDefault();
              if (options.length === 1) add(options[0]!);
            }}
            data-autofocus
            data-testid="new-internal-to"
          />
        </div>
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
                  <span class="badge badge-soft">Colleague</span>
                  <span class="cell-strong">{c.name}</span>
                  <span class="muted small">{c.email}</span>
                </button>
              </li>
            ))}
          </ul>
        ) : (
          <p class="small muted" data-testid="no-colleagues">
            {search ? `No colleague matches “${search}”.` : picked.length ? 'Everyone is in the chat already.' : 'No colleagues yet: an admin invites people under Directory → Members.'}
          </p>
        )}
      </div>
      <p class="alert alert-info small internal-note" data-testid="internal-note">
        <strong>Internal.</strong> Only the people in this chat see it. Messages and files stay on CareText: nothing is sent by SMS or to a patient.
      </p>
      <FormError message={starter.formError} />
    </Modal>
  );
}
