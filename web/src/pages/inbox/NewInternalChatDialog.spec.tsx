import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/preact';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { session } from '../../lib/session';
import { trpc } from '../../lib/trpc';
import { NewInternalChatDialog } from './NewInternalChatDialog';

vi.mock('../../lib/trpc', () => ({
  trpc: { conversations: { colleagues: { query: vi.fn() }, startInternal: { mutate: vi.fn() } } },
}));
const api = vi.mocked(trpc, { deep: true });

const omar = { id: 'u2', name: 'Omar Haddad', email: 'omar@clinic.example' };
const kim = { id: 'u3', name: 'Kim Park', email: 'kim@clinic.example' };

describe('Create a chat with colleagues', () => {
  let onStarted: ReturnType<typeof vi.fn<(conversationId: string) => void>>;
  let onChatWithPatient: ReturnType<typeof vi.fn<() => void>>;
  beforeEach(() => {
    vi.clearAllMocks();
    onStarted = vi.fn<(conversationId: string) => void>();
    onChatWithPatient = vi.fn<() => void>();
    api.conversations.colleagues.query.mockImplementation((async ({ query }: { query?: string }) => [omar, kim].filter((c) => !query || c.name.toLowerCase().includes(query.toLowerCase()))) as never);
    render(<NewInternalChatDialog onClose={vi.fn()} onStarted={onStarted} onChatWithPatient={onChatWithPatient} />);
  });
  afterEach(cleanup);

  it('picks several colleagues and starts one internal chat with all of them', async () => {
    expect((screen.getByTestId('start-internal-chat') as HTMLButtonElement).disabled).toBe(true);
    await waitFor(() => expect(screen.getAllByTestId('colleague-option')).toHaveLength(2));
    fireEvent.click(screen.getAllByTestId('colleague-option')[0]!);
    await waitFor(() => expect(screen.getAllByTestId('colleague-option')).toHaveLength(1));
    fireEvent.click(screen.getByTestId('colleague-option'));
    expect(screen.getAllByTestId('picked-colleague').map((c) => c.textContent)).toEqual(['Omar Haddad×', 'Kim Park×']);
    expect(screen.getByTestId('no-colleagues').textContent).toBe('Everyone is in the chat already.');
    api.conversations.startInternal.mutate.mockResolvedValue({ conversationId: 'c9', created: true } as never);
    fireEvent.click(screen.getByTestId('start-internal-chat'));
    await waitFor(() => expect(onStarted).toHaveBeenCalledWith('c9'));
    expect(api.conversations.startInternal.mutate).toHaveBeenCalledWith({ userIds: ['u2', 'u3'] });
  });

  it('searches by name, says when nobody matches, and shows why a start was refused', async () => {
    fireEvent.input(screen.getByTestId('new-internal-to'), { target: { value: 'zed' } });
    await waitFor(() => expect(screen.getByTestId('no-colleagues').textContent).toBe('No colleague matches “zed”.'));
    fireEvent.input(screen.getByTestId('new-internal-to'), { target: { value: 'kim' } });
    await waitFor(() => expect(screen.getAllByTestId('colleague-option').map((o) => o.textContent)).toEqual(['ColleagueKim Parkkim@clinic.example']));
    fireEvent.keyDown(screen.getByTestId('new-internal-to'), { key: 'Enter' });
    api.conversations.startInternal.mutate.mockRejectedValue(new Error('Internal chats need a team in the organization first: an admin creates one under Settings → Teams.'));
    fireEvent.click(screen.getByTestId('start-internal-chat'));
    await screen.findByText(/Internal chats need a team/);
    expect(onStarted).not.toHaveBeenCalled();
  });

  it('switches back to a chat with a patient', () => {
    fireEvent.click(screen.getByTestId('chat-with-patient'));
    expect(onChatWithPatient).toHaveBeenCalled();
  });
});

describe('Create a chat: someone outside the organization, by email', () => {
  const orgWith = (externalChatAllowed: boolean, myRole = 'member') =>
    ({ status: 'ready', me: null, org: { id: 'o1', name: 'North Clinic', myRole, policies: { externalChatAllowed } } }) as unknown as typeof session.value;
  beforeEach(() => {
    vi.clearAllMocks();
    api.conversations.colleagues.query.mockImplementation((async ({ query }: { query?: string }) => [omar].filter((c) => !query || c.email.includes(query.toLowerCase()))) as never);
  });
  afterEach(() => {
    cleanup();
    session.value = { status: 'loading' };
  });

  it('where the org allows it, a typed address becomes an External invitee, sent with the chat', async () => {
    session.value = orgWith(true);
    const onStarted = vi.fn();
    render(<NewInternalChatDialog onClose={vi.fn()} onStarted={onStarted} onChatWithPatient={vi.fn()} />);
    fireEvent.input(screen.getByTestId('new-internal-to'), { target: { value: 'Dr.Shah@Partner.example' } });
    await waitFor(() => expect(screen.getByTestId('invite-external-option').textContent).toContain('Invite dr.shah@partner.example'));
    fireEvent.keyDown(screen.getByTestId('new-internal-to'), { key: 'Enter' });
    expect(screen.getByTestId('picked-external').textContent).toBe('dr.shah@partner.exampleExternal×');
    expect(screen.getByTestId('external-note').textContent).toContain('invitation email when you send the first message');
    // A colleague's own address is that colleague, not an invitation.
    fireEvent.input(screen.getByTestId('new-internal-to'), { target: { value: 'omar@clinic.example' } });
    await waitFor(() => expect(screen.getAllByTestId('colleague-option')).toHaveLength(1));
    expect(screen.queryByTestId('invite-external-option')).toBeNull();
    api.conversations.startInternal.mutate.mockResolvedValue({ conversationId: 'c10', created: true } as never);
    fireEvent.click(screen.getByTestId('start-internal-chat'));
    await waitFor(() => expect(onStarted).toHaveBeenCalledWith('c10'));
    expect(api.conversations.startInternal.mutate).toHaveBeenCalledWith({ userIds: [], emails: ['dr.shah@partner.example'] });
  });

  it('where it does not, the dialog says who can allow it and adds nothing', async () => {
    session.value = orgWith(false);
    render(<NewInternalChatDialog onClose={vi.fn()} onStarted={vi.fn()} onChatWithPatient={vi.fn()} />);
    fireEvent.input(screen.getByTestId('new-internal-to'), { target: { value: 'dr.shah@partner.example' } });
    await waitFor(() => expect(screen.getByTestId('external-not-allowed').textContent).toContain('Settings → Policies → Allow external chat'));
    fireEvent.keyDown(screen.getByTestId('new-internal-to'), { key: 'Enter' });
    expect(screen.queryByTestId('picked-external')).toBeNull();
    expect((screen.getByTestId('start-internal-chat') as HTMLButtonElement).disabled).toBe(true);
  });

  it('an external collaborator gets no patient switch and cannot invite others', async () => {
    session.value = orgWith(true, 'external');
    render(<NewInternalChatDialog onClose={vi.fn()} onStarted={vi.fn()} onChatWithPatient={vi.fn()} />);
    expect(screen.queryByTestId('chat-with-patient')).toBeNull();
    fireEvent.input(screen.getByTestId('new-internal-to'), { target: { value: 'friend@partner.example' } });
    await waitFor(() => expect(screen.getByTestId('external-not-allowed').textContent).toContain('people you already talk to'));
  });
});
