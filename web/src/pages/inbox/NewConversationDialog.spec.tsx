import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/preact';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { trpc } from '../../lib/trpc';
import { contactOf, NewConversationDialog } from './NewConversationDialog';

vi.mock('../../lib/trpc', () => ({
  trpc: {
    teams: { list: { query: vi.fn() } },
    numbers: { list: { query: vi.fn() } },
    patients: { list: { query: vi.fn() }, findOrCreateByContact: { mutate: vi.fn() } },
    conversations: { availability: { query: vi.fn() }, startSms: { mutate: vi.fn() }, startSecure: { mutate: vi.fn() } },
  },
}));
const api = vi.mocked(trpc, { deep: true });

const frontDesk = { id: 't1', name: 'Front Desk', isMine: true, members: [], createdAt: new Date() };
const nursing = { id: 't2', name: 'Nursing', isMine: true, members: [], createdAt: new Date() };
const number = { id: 'n1', e164: '+14155550142', display: '(415) 555-0142', team: { id: 't1', name: 'Front Desk', members: [] }, isMine: true };
const maria = { id: 'p1', displayName: '+13125554821', phone: '+13125554821', dob: null, email: null };
const secure = { available: true, reason: null };
const noSecure = (reason: string) => ({ available: false, reason });

describe('contactOf', () => {
  it('recognizes a typed phone number in any format, and an email', () => {
    expect(contactOf('312.555.4821')).toEqual({ kind: 'phone', display: '(312) 555-4821' });
    expect(contactOf('+1 (312) 555 4821')).toEqual({ kind: 'phone', display: '(312) 555-4821' });
    expect(contactOf(' Maria@Example.com ')).toEqual({ kind: 'email', display: 'maria@example.com' });
  });

  it('leaves names and half-typed numbers to the patient search', () => {
    expect(contactOf('Maria')).toBeNull();
    expect(contactOf('312555')).toBeNull();
    expect(contactOf('ma')).toBeNull();
  });
});

describe('Create a chat', () => {
  let onStarted: ReturnType<typeof vi.fn<(conversationId: string, teamId: string) => void>>;
  beforeEach(() => {
    vi.clearAllMocks();
    onStarted = vi.fn<(conversationId: string, teamId: string) => void>();
    api.teams.list.query.mockResolvedValue([frontDesk, nursing] as never);
    api.numbers.list.query.mockResolvedValue([number] as never);
    api.patients.list.query.mockResolvedValue({ patients: [], total: 0, page: 1, pageSize: 5 } as never);
    api.conversations.availability.query.mockImplementation((async ({ teamId, patientIds }: { teamId: string; patientIds: string[] }) => {
      if (patientIds.length !== 1) return { secure: noSecure('Select a patient to send Secure Chat.'), sms: { available: false, reason: 'Select a patient to send SMS.' }, number: null };
      if (teamId === 't2') return { secure, sms: { available: false, reason: 'The team Nursing has no phone number. An admin can assign one under Directory → Phone numbers.' }, number: null };
      return { secure, sms: { available: true, reason: null }, number: { id: 'n1', e164: '+14155550142' } };
    }) as never);
    render(<NewConversationDialog onClose={vi.fn()} onStarted={onStarted} />);
  });
  afterEach(cleanup);

  it('creates the patient from a typed phone number, offers SMS from the team with a number, and starts the conversation', async () => {
    api.patients.findOrCreateByContact.mutate.mockResolvedValue({ created: true, patients: [maria] } as never);
    api.conversations.startSms.mutate.mockResolvedValue({ conversationId: 'c9' } as never);
    await waitFor(() => expect((screen.getByTestId('send-from') as HTMLSelectElement).value).toBe('t1'));
    expect((await screen.findByTestId('sms-reason')).textContent).toBe('Select a patient to send SMS.');

    fireEvent.input(screen.getByTestId('new-conversation-to'), { target: { value: '312.555.4821' } });
    expect(screen.getByTestId('contact-option').textContent).toContain('(312) 555-4821');
    fireEvent.click(screen.getByTestId('contact-option'));
    expect((await screen.findByTestId('picked-patient')).textContent).toContain('(312) 555-4821');
    expect(api.patients.findOrCreateByContact.mutate).toHaveBeenCalledWith({ contact: '312.555.4821' });

    await waitFor(() => expect(screen.getByTestId('channel-sms').getAttribute('aria-checked')).toBe('true'));
    expect(screen.getByTestId('channel-sms').textContent).toContain('(415) 555-0142');
    fireEvent.click(screen.getByTestId('start-conversation'));
    await waitFor(() => expect(onStarted).toHaveBeenCalledWith('c9', 't1'));
    expect(api.conversations.startSms.mutate).toHaveBeenCalledWith({ teamId: 't1', patientId: 'p1' });
  });

  it('keeps SMS off and says why when the sending team has no number', async () => {
    api.patients.findOrCreateByContact.mutate.mockResolvedValue({ created: false, patients: [maria] } as never);
    await waitFor(() => expect((screen.getByTestId('send-from') as HTMLSelectElement).value).toBe('t1'));
    fireEvent.input(screen.getByTestId('new-conversation-to'), { target: { value: '(312) 555-4821' } });
    fireEvent.keyDown(screen.getByTestId('new-conversation-to'), { key: 'Enter' });
    await screen.findByTestId('picked-patient');
    fireEvent.change(screen.getByTestId('send-from'), { target: { value: 't2' } });
    expect((await screen.findByTestId('sms-reason')).textContent).toContain('The team Nursing has no phone number');
    expect((screen.getByTestId('channel-sms') as HTMLButtonElement).disabled).toBe(true);
    // Secure Chat needs no number: it is chosen instead, and starts the team's secure thread.
    await waitFor(() => expect(screen.getByTestId('channel-secure').getAttribute('aria-checked')).toBe('true'));
    api.conversations.startSecure.mutate.mockResolvedValue({ conversationId: 'c7' } as never);
    fireEvent.click(screen.getByTestId('start-conversation'));
    await waitFor(() => expect(onStarted).toHaveBeenCalledWith('c7', 't2'));
    expect(api.conversations.startSecure.mutate).toHaveBeenCalledWith({ teamId: 't2', patientId: 'p1' });
    expect(api.conversations.startSms.mutate).not.toHaveBeenCalled();
  });

  it('offers both where SMS is possible, SMS first; Secure Chat can be chosen instead', async () => {
    api.patients.findOrCreateByContact.mutate.mockResolvedValue({ created: false, patients: [maria] } as never);
    api.conversations.startSecure.mutate.mockResolvedValue({ conversationId: 'c8' } as never);
    await waitFor(() => expect((screen.getByTestId('send-from') as HTMLSelectElement).value).toBe('t1'));
    expect((await screen.findByTestId('secure-reason')).textContent).toBe('Select a patient to send Secure Chat.');
    expect((screen.getByTestId('start-conversation') as HTMLButtonElement).disabled).toBe(true);
    fireEvent.input(screen.getByTestId('new-conversation-to'), { target: { value: '(312) 555-4821' } });
    fireEvent.keyDown(screen.getByTestId('new-conversation-to'), { key: 'Enter' });
    await screen.findByTestId('picked-patient');
    await waitFor(() => expect(screen.getByTestId('channel-sms').getAttribute('aria-checked')).toBe('true'));
    expect(screen.getByTestId('channel-secure').getAttribute('data-available')).toBe('true');
    expect(screen.getByTestId('secure-needs-dob').textContent).toContain('No date of birth on file');
    fireEvent.click(screen.getByTestId('channel-secure'));
    expect(screen.getByTestId('channel-secure').getAttribute('aria-checked')).toBe('true');
    fireEvent.click(screen.getByTestId('start-conversation'));
    await waitFor(() => expect(onStarted).toHaveBeenCalledWith('c8', 't1'));
    expect(api.conversations.startSms.mutate).not.toHaveBeenCalled();
  });
});
