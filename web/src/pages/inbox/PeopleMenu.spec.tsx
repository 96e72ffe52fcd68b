import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/preact';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { session } from '../../lib/session';
import { trpc } from '../../lib/trpc';
import { PeopleMenu } from './PeopleMenu';

vi.mock('../../lib/trpc', () => ({
  trpc: {
    conversations: {
      colleagues: { query: vi.fn() },
      addPeople: { mutate: vi.fn() },
      removePerson: { mutate: vi.fn() },
      leave: { mutate: vi.fn() },
      resendInvite: { mutate: vi.fn() },
    },
  },
}));
const api = vi.mocked(trpc, { deep: true });

const dana = { id: 'u1', name: 'Dana Ruiz', email: 'dana@clinic.example', external: false };
const sam = { id: 'u2', name: 'Sam Ito', email: 'sam@clinic.example', external: false };
const shah = { id: 'u3', name: 'Dr Shah', email: 'shah@partner.example', external: true };
const lee = { id: 'u4', name: 'Dr Lee', email: 'lee@clinic.example', external: false };

const as = (userId: string, myRole: string, externalChatAllowed = true) =>
  ({ status: 'ready', me: { user: { id: userId } }, org: { id: 'o1', name: 'North Clinic', myRole, policies: { externalChatAllowed } } }) as unknown as typeof session.value;

const chat = (startedById: string) =>
  ({
    id: 'c1',
    kind: 'internal',
    startedById,
    participants: [dana, sam, shah],
    invited: [
      { email: 'late@partner.example', sent: true, expired: true },
      { email: 'new@partner.example', sent: false, expired: false },
    ],
  }) as never;

describe('People menu of an internal chat', () => {
  let onChanged: ReturnType<typeof vi.fn<() => void>>;
  let onLeft: ReturnType<typeof vi.fn<() => void>>;
  beforeEach(() => {
    vi.clearAllMocks();
    onChanged = vi.fn<() => void>();
    onLeft = vi.fn<() => void>();
    api.conversations.colleagues.query.mockResolvedValue([sam, lee] as never);
  });
  afterEach(() => {
    cleanup();
    session.value = { status: 'loading' };
  });

  it('lists everyone with External badges; the starter removes, re-sends an expired invitation, and leaves', async () => {
    session.value = as('u1', 'member');
    render(<PeopleMenu conversation={chat('u1')} onChanged={onChanged} onLeft={onLeft} />);
    expect(screen.getByTestId('people-button').textContent).toBe('People (5)');
    fireEvent.click(screen.getByTestId('people-button'));
    const rows = screen.getAllByTestId('people-row').map((r) => r.textContent);
    expect(rows[0]).toContain('Dana Ruiz (you)');
    expect(rows[2]).toContain('External');
    expect(screen.getAllByTestId('remove-person')).toHaveLength(2);
    expect(screen.getAllByTestId('people-invited')[0]!.textContent).toContain('Invitation link expired');
    // Only a mailed invitation has a link to replace.
    expect(screen.getAllByTestId('resend-invitation')).toHaveLength(1);

    api.conversations.resendInvite.mutate.mockResolvedValue({ sent: true } as never);
    fireEvent.click(screen.getByTestId('resend-invitation'));
    await waitFor(() => expect(api.conversations.resendInvite.mutate).toHaveBeenCalledWith({ conversationId: 'c1', email: 'late@partner.example' }));
    await waitFor(() => expect(onChanged).toHaveBeenCalled());

    fireEvent.click(screen.getAllByTestId('remove-person')[0]!);
    expect(screen.getByTestId('confirm-dialog').textContent).toContain('Remove Sam Ito?');
    api.conversations.removePerson.mutate.mockResolvedValue({ removed: 1 } as never);
    fireEvent.click(screen.getByTestId('confirm-button'));
    await waitFor(() => expect(api.conversations.removePerson.mutate).toHaveBeenCalledWith({ conversationId: 'c1', userId: 'u2' }));

    fireEvent.click(screen.getByTestId('people-button'));
    fireEvent.click(screen.getByTestId('leave-chat'));
    api.conversations.leave.mutate.mockResolvedValue({ removed: 1 } as never);
    fireEvent.click(screen.getByTestId('confirm-button'));
    await waitFor(() => expect(onLeft).toHaveBeenCalled());
  });

  it('a participant who did not start it may leave but not remove; an external one cannot re-send invitations', () => {
    session.value = as('u2', 'member');
    const { unmount } = render(<PeopleMenu conversation={chat('u1')} onChanged={onChanged} onLeft={onLeft} />);
    fireEvent.click(screen.getByTestId('people-button'));
    expect(screen.queryAllByTestId('remove-person')).toHaveLength(0);
    expect(screen.getByTestId('leave-chat')).toBeTruthy();
    expect(screen.getAllByTestId('resend-invitation')).toHaveLength(1);
    unmount();
    session.value = as('u3', 'external');
    render(<PeopleMenu conversation={chat('u1')} onChanged={onChanged} onLeft={onLeft} />);
    fireEvent.click(screen.getByTestId('people-button'));
    expect(screen.queryAllByTestId('resend-invitation')).toHaveLength(0);
    expect(screen.queryAllByTestId('remove-person')).toHaveLength(0);
  });

  it('an org admin removes though they did not start it', () => {
    session.value = as('u2', 'admin');
    render(<PeopleMenu conversation={chat('u1')} onChanged={onChanged} onLeft={onLeft} />);
    fireEvent.click(screen.getByTestId('people-button'));
    expect(screen.getAllByTestId('remove-person')).toHaveLength(2);
  });

  it('Add people: offers only those not in the chat, says they see the history, and invites an address', async () => {
    session.value = as('u1', 'member');
    render(<PeopleMenu conversation={chat('u1')} onChanged={onChanged} onLeft={onLeft} />);
    fireEvent.click(screen.getByTestId('people-button'));
    fireEvent.click(screen.getByTestId('add-people'));
    expect(screen.getByTestId('history-note').textContent).toContain('They will see the earlier messages');
    await waitFor(() => expect(screen.getAllByTestId('colleague-option').map((o) => o.textContent)).toEqual(['ColleagueDr Leelee@clinic.example']));
    fireEvent.click(screen.getByTestId('colleague-option'));
    fireEvent.input(screen.getByTestId('add-people-to'), { target: { value: 'Ana@Other.example' } });
    await waitFor(() => expect(screen.getByTestId('invite-external-option')).toBeTruthy());
    fireEvent.click(screen.getByTestId('invite-external-option'));
    expect(screen.getByTestId('external-note').textContent).toContain('ana@other.example gets an invitation email with the next message');
    api.conversations.addPeople.mutate.mockResolvedValue({ added: 1, invited: 1 } as never);
    fireEvent.click(screen.getByTestId('add-people-submit'));
    await waitFor(() => expect(api.conversations.addPeople.mutate).toHaveBeenCalledWith({ conversationId: 'c1', userIds: ['u4'], emails: ['ana@other.example'] }));
    await waitFor(() => expect(onChanged).toHaveBeenCalled());
    expect(screen.queryByTestId('add-people-dialog')).toBeNull();
  });

  it('Add people: Enter on a typed address takes that colleague; an address already invited or in the chat is not offered again', async () => {
    session.value = as('u1', 'member');
    render(<PeopleMenu conversation={chat('u1')} onChanged={onChanged} onLeft={onLeft} />);
    fireEvent.click(screen.getByTestId('people-button'));
    fireEvent.click(screen.getByTestId('add-people'));
    await waitFor(() => expect(screen.getAllByTestId('colleague-option')).toHaveLength(1));
    fireEvent.input(screen.getByTestId('add-people-to'), { target: { value: 'LEE@clinic.example' } });
    fireEvent.keyDown(screen.getByTestId('add-people-to'), { key: 'Enter' });
    expect(screen.getAllByTestId('picked-colleague').map((c) => c.textContent)).toEqual(['Dr Lee×']);
    expect((screen.getByTestId('add-people-to') as HTMLInputElement).value).toBe('');
    fireEvent.input(screen.getByTestId('add-people-to'), { target: { value: 'new@partner.example' } });
    await new Promise((resolve) => setTimeout(resolve, 250));
    await waitFor(() => expect(screen.queryByText('Loading colleagues…')).toBeNull());
    expect(screen.queryByTestId('invite-external-option')).toBeNull();
    fireEvent.keyDown(screen.getByTestId('add-people-to'), { key: 'Enter' });
    expect(screen.queryByTestId('picked-external')).toBeNull();
  });

  it('Add people shows why the server refused', async () => {
    session.value = as('u1', 'member');
    render(<PeopleMenu conversation={chat('u1')} onChanged={onChanged} onLeft={onLeft} />);
    fireEvent.click(screen.getByTestId('people-button'));
    fireEvent.click(screen.getByTestId('add-people'));
    await waitFor(() => expect(screen.getAllByTestId('colleague-option')).toHaveLength(1));
    fireEvent.click(screen.getByTestId('colleague-option'));
    api.conversations.addPeople.mutate.mockRejectedValue(new Error('An internal chat takes at most 20 people.'));
    fireEvent.click(screen.getByTestId('add-people-submit'));
    await screen.findByText('An internal chat takes at most 20 people.');
    expect(onChanged).not.toHaveBeenCalled();
  });
});
