import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/preact';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { session } from '../../lib/session';
import { trpc } from '../../lib/trpc';
import { Composer } from './Composer';
import type { OpenConversation } from './ConversationView';

vi.mock('../../lib/trpc', () => ({
  trpc: { conversations: { send: { mutate: vi.fn() }, availability: { query: vi.fn() } }, templates: { list: { query: vi.fn(async () => []) } } },
}));
vi.mock('../../lib/notices', () => ({ notify: vi.fn() }));
const api = vi.mocked(trpc, { deep: true });

/** An internal chat: no patient, no number; the people in it. */
const chat = {
  id: 'c9',
  kind: 'internal',
  team: { id: 't1', name: 'Front Desk' },
  patient: null,
  number: null,
  optOut: null,
  readOnly: null,
  participants: [
    { id: 'u1', name: 'Lena Ortiz', email: 'lena@clinic.example' },
    { id: 'u2', name: 'Omar Haddad', email: 'omar@clinic.example' },
  ],
  messages: [],
} as unknown as OpenConversation;

beforeEach(() => {
  vi.clearAllMocks();
  session.value = { status: 'ready', me: { user: { id: 'u1', name: 'Lena Ortiz', email: 'lena@clinic.example' } }, org: null } as never;
  api.conversations.send.mutate.mockResolvedValue({ duplicate: false, conversationId: 'c9', messageId: 'm1', status: 'sent', sendAfter: null } as never);
  render(<Composer conversation={chat} onSent={vi.fn()} />);
});
afterEach(() => {
  cleanup();
  session.value = { status: 'loading' };
});

describe('The composer in an internal chat', () => {
  it('writes to the colleagues by name, with no SMS, patient tokens, templates or confirmation request', () => {
    expect(screen.getByTestId('composer-text').getAttribute('placeholder')).toBe('Message to Omar Haddad… (Ctrl+Enter to send)');
    expect(screen.getByTestId('composer').getAttribute('data-channel')).toBe('secure');
    expect(screen.getByTestId('composer-counter').textContent).toBe('Internal · stays on CareText');
    for (const id of ['composer-channels', 'toggle-tokens', 'ask-confirm', 'template-picker']) expect(screen.queryByTestId(id)).toBeNull();
    expect(screen.getByTestId('attach-button')).toBeTruthy();
    expect(api.templates.list.query).not.toHaveBeenCalled();
    expect(api.conversations.availability.query).not.toHaveBeenCalled();
  });

  it('sends what looks like PHI at once: it never leaves CareText, so there is no PHI prompt', async () => {
    fireEvent.input(screen.getByTestId('composer-text'), { target: { value: 'Lab results for bed 7 came back positive' } });
    expect(screen.queryByTestId('phi-warning')).toBeNull();
    fireEvent.click(screen.getByTestId('send-button'));
    await waitFor(() => expect(api.conversations.send.mutate).toHaveBeenCalledTimes(1));
    expect(api.conversations.send.mutate.mock.calls[0]![0]).toMatchObject({ conversationId: 'c9', body: 'Lab results for bed 7 came back positive', channel: 'secure' });
    expect(screen.queryByTestId('phi-dialog')).toBeNull();
  });
});
