import { TRPCClientError } from '@trpc/client';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/preact';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { trpc } from '../../lib/trpc';
import { Composer } from './Composer';
import type { OpenConversation } from './ConversationView';

vi.mock('../../lib/trpc', () => ({ trpc: { conversations: { send: { mutate: vi.fn() } }, templates: { list: { query: vi.fn(async () => [{ id: 'tp1', name: 'Parking', body: 'Hi {{first_name}}, parking is behind the building.', team: null }]) } } } }));
const send = vi.mocked(trpc.conversations.send.mutate);

const conversation = {
  id: 'c1',
  team: { id: 't1', name: 'Front Desk' },
  patient: { id: 'p1', displayName: 'Maria Garcia', phone: '+14155552671' },
} as unknown as OpenConversation;

function refused(code: string, message: string, reason: string, details: Record<string, unknown> = {}) {
  return TRPCClientError.from({ error: { code: -32600, message, data: { code, httpStatus: 400, path: 'conversations.send', reason, details } } });
}
const ok = { duplicate: false, messageId: 'm1', status: 'queued', sendAfter: null };

function type(text: string) {
  fireEvent.input(screen.getByTestId('composer-text'), { target: { value: text } });
}
const keyOf = (call: number) => send.mock.calls[call]![0].idempotencyKey;

let onSent: ReturnType<typeof vi.fn<() => void>>;
beforeEach(() => {
  send.mockReset();
  onSent = vi.fn<() => void>();
  render(<Composer conversation={conversation} onSent={onSent} />);
});
afterEach(cleanup);

describe('The composer', () => {
  it('counts segments and encoding as you type, and warns about PHI before anything is sent', () => {
    type('Your lab results came back positive');
    expect(screen.getByTestId('composer-counter').textContent).toBe('35 / 160 · 1 segment · GSM-7 · ≈ $0.01');
    expect(screen.getByTestId('phi-warning').textContent).toContain('This text looks like it contains lab or test results');
    type('Thanks 👍');
    expect(screen.getByTestId('composer-counter').getAttribute('data-encoding')).toBe('UCS-2');
    expect(screen.queryByTestId('phi-warning')).toBeNull();
  });

  it('sends once however often Send is pressed, then clears for the next message with a new key', async () => {
    let resolve!: (v: typeof ok) => void;
    send.mockImplementationOnce(() => new Promise((r) => (resolve = r)) as never);
    type('See you Tuesday at 10');
    fireEvent.click(screen.getByTestId('send-button'));
    fireEvent.keyDown(screen.getByTestId('composer-text'), { key: 'Enter', ctrlKey: true });
    expect(send).toHaveBeenCalledTimes(1);
    expect(send.mock.calls[0]![0]).toMatchObject({ conversationId: 'c1', body: 'See you Tuesday at 10' });
    resolve(ok);
    await waitFor(() => expect(onSent).toHaveBeenCalled());
    expect((screen.getByTestId('composer-text') as HTMLTextAreaElement).value).toBe('');

    send.mockResolvedValueOnce(ok as never);
    type('Bring your insurance card');
    fireEvent.keyDown(screen.getByTestId('composer-text'), { key: 'Enter', metaKey: true });
    await waitFor(() => expect(send).toHaveBeenCalledTimes(2));
    expect(keyOf(1)).not.toBe(keyOf(0));
  });

  it('asks before sending what looks like PHI, and resends the same message (same key) only when told to', async () => {
    send.mockRejectedValueOnce(refused('PRECONDITION_FAILED', 'This text looks like it contains lab or test results.', 'phi')).mockResolvedValueOnce(ok as never);
    type('Your lab results are normal');
    fireEvent.click(screen.getByTestId('send-button'));
    const dialog = await screen.findByTestId('phi-dialog');
    expect(dialog.textContent).toContain('This looks like PHI');
    expect((screen.getByTestId('phi-send-secure') as HTMLButtonElement).disabled).toBe(true);
    fireEvent.click(screen.getByTestId('phi-send-anyway'));
    await waitFor(() => expect(send).toHaveBeenCalledTimes(2));
    expect(send.mock.calls[1]![0]).toMatchObject({ confirmPhi: true });
    expect(keyOf(1)).toBe(keyOf(0));
    await waitFor(() => expect(screen.queryByTestId('phi-dialog')).toBeNull());
  });

  it('offers to send now or schedule during quiet hours', async () => {
    send.mockRejectedValueOnce(refused('PRECONDITION_FAILED', 'It is quiet hours for this patient.', 'quiet_hours', { nextSendTime: '2026-04-23T12:00:00.000Z' }));
    send.mockResolvedValueOnce({ ...ok, sendAfter: new Date('2026-04-23T12:00:00.000Z') } as never);
    type('Reminder: your visit is tomorrow');
    fireEvent.click(screen.getByTestId('send-button'));
    await screen.findByTestId('quiet-hours-dialog');
    expect(screen.getByTestId('quiet-schedule').textContent).toMatch(/^Schedule for .*Apr 23/);
    fireEvent.click(screen.getByTestId('quiet-schedule'));
    await waitFor(() => expect(send).toHaveBeenCalledTimes(2));
    expect(send.mock.calls[1]![0]).toMatchObject({ quietHours: 'schedule' });
  });

  it('shows a final refusal with its reason and keeps the text', async () => {
    send.mockRejectedValueOnce(refused('BAD_REQUEST', 'The patient opted out by replying STOP.', 'opted_out'));
    type('Are you still coming?');
    fireEvent.click(screen.getByTestId('send-button'));
    const error = await screen.findByTestId('send-error');
    expect(error.textContent).toBe('The patient opted out by replying STOP.');
    expect(error.getAttribute('data-reason')).toBe('opted_out');
    expect((screen.getByTestId('composer-text') as HTMLTextAreaElement).value).toBe('Are you still coming?');
  });

  it('inserts a template and names the tokens that will be filled in', async () => {
    const picker = (await screen.findByTestId('template-picker')) as HTMLSelectElement;
    type('Good morning!');
    fireEvent.change(picker, { target: { value: 'tp1' } });
    expect((screen.getByTestId('composer-text') as HTMLTextAreaElement).value).toBe('Good morning! Hi {{first_name}}, parking is behind the building.');
    expect(screen.getByTestId('used-tokens').textContent).toBe('Filled in when sent:First name');
  });

  it('asks the patient to confirm when the toggle is on', async () => {
    send.mockResolvedValueOnce(ok as never);
    type('Your appointment is Tuesday at 10. Reply C to confirm or N to cancel.');
    fireEvent.click(screen.getByTestId('ask-confirm'));
    fireEvent.click(screen.getByTestId('send-button'));
    await waitFor(() => expect(send).toHaveBeenCalledTimes(1));
    expect(send.mock.calls[0]![0]).toMatchObject({ requestsConfirmation: true });
  });
});

describe('A conversation whose number was released', () => {
  it('is read-only: the composer is disabled and says why and what to do instead', () => {
    cleanup();
    const reason = 'This number ((415) 555-0100) was released on 2026-04-20; start a new conversation from a current number.';
    render(<Composer conversation={{ ...conversation, readOnly: reason } as OpenConversation} onSent={onSent} />);
    expect((screen.getByTestId('composer-text') as HTMLTextAreaElement).disabled).toBe(true);
    expect((screen.getByTestId('send-button') as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByTestId('composer-closed').textContent).toBe(reason);
    fireEvent.click(screen.getByTestId('send-button'));
    expect(send).not.toHaveBeenCalled();
  });
});
