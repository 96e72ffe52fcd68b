import { TRPCClientError } from '@trpc/client';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/preact';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type CurrentOrg, session } from '../../lib/session';
import { trpc } from '../../lib/trpc';
import { notify } from '../../lib/notices';
import { uploadFile } from './attachments';
import { Composer } from './Composer';
import type { OpenConversation } from './ConversationView';

const TEMPLATES = [
  { id: 'tp1', name: 'Parking', body: 'Hi {{first_name}}, parking is behind the building.', team: null },
  { id: 'tp2', name: 'Visit (asks)', body: 'Your visit is Tuesday.', team: null, requestsConfirmation: true },
  { id: 'tp3', name: 'Visit (written)', body: 'Your visit is Tuesday. Reply SI to confirm or NO to decline.', team: null },
];
const BOTH = { secure: { available: true, reason: null }, sms: { available: true, reason: null, blockedBy: null }, number: null, confirmationWords: { confirm: ['C'], decline: ['N'] } };
vi.mock('../../lib/trpc', () => ({
  trpc: { conversations: { send: { mutate: vi.fn() }, availability: { query: vi.fn(async () => BOTH) } }, templates: { list: { query: vi.fn(async () => TEMPLATES) } } },
}));
vi.mock('../../lib/notices', () => ({ notify: vi.fn() }));
vi.mock('./attachments', async (actual) => ({ ...(await actual<typeof import('./attachments')>()), uploadFile: vi.fn() }));
const send = vi.mocked(trpc.conversations.send.mutate);
const availability = vi.mocked(trpc.conversations.availability.query);

const conversation = {
  id: 'c1',
  team: { id: 't1', name: 'Front Desk' },
  patient: { id: 'p1', displayName: 'Maria Garcia', firstName: 'Maria', phone: '+14155552671' },
  number: { display: '(415) 555-0100', active: true },
  optOut: null,
  readOnly: null,
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
let onStale: ReturnType<typeof vi.fn<() => void>>;
beforeEach(() => {
  send.mockReset();
  onSent = vi.fn<() => void>();
  onStale = vi.fn<() => void>();
  render(<Composer conversation={conversation} onSent={onSent} onStale={onStale} />);
});
afterEach(() => {
  availability.mockResolvedValue(BOTH as never);
  cleanup();
  session.value = { status: 'loading' };
});

/** The org as the session holds it, with its own confirmation words. */
function withOrgWords(confirm: string[], decline: string[]) {
  session.value = { status: 'ready', me: null, org: { id: 'o1', name: 'Riverside', confirmationWords: { confirm, decline } } as unknown as CurrentOrg };
}

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
    expect((screen.getByTestId('phi-send-secure') as HTMLButtonElement).disabled).toBe(false);
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

  it('shows a final refusal with its reason and what to do instead, keeps the text, and reloads the conversation', async () => {
    send.mockRejectedValueOnce(refused('BAD_REQUEST', 'The patient opted out by replying STOP.', 'opted_out'));
    type('Are you still coming?');
    fireEvent.click(screen.getByTestId('send-button'));
    const error = await screen.findByTestId('send-error');
    expect(error.textContent).toBe('The patient opted out by replying STOP. Use Secure Chat or call them.');
    expect(error.getAttribute('data-reason')).toBe('opted_out');
    expect((screen.getByTestId('composer-text') as HTMLTextAreaElement).value).toBe('Are you still coming?');
    expect(onStale).toHaveBeenCalledTimes(1);
  });

  it('inserts a template and names the tokens that will be filled in', async () => {
    const picker = (await screen.findByTestId('template-picker')) as HTMLSelectElement;
    type('Good morning!');
    fireEvent.change(picker, { target: { value: 'tp1' } });
    expect((screen.getByTestId('composer-text') as HTMLTextAreaElement).value).toBe('Good morning! Hi {{first_name}}, parking is behind the building.');
    expect(screen.getByTestId('used-tokens').textContent).toBe('Filled in when sent:First name');
  });

  it('asks the patient to confirm in the org’s words: shows and counts the text the send adds', async () => {
    withOrgWords(['SI', 'C'], ['NO']);
    send.mockResolvedValueOnce(ok as never);
    type('Your appointment is Tuesday at 10');
    expect(screen.getByTestId('ask-confirm').parentElement!.textContent).toBe('Ask the patient to confirm (SI/NO)');
    expect(screen.queryByTestId('confirm-adds')).toBeNull();
    fireEvent.click(screen.getByTestId('ask-confirm'));
    expect(screen.getByTestId('confirm-adds').textContent).toBe('Adds: Reply SI to confirm or NO to decline.');
    // 33 typed + ". " + 37 added
    expect(screen.getByTestId('composer-counter').textContent).toBe('72 / 160 · 1 segment · GSM-7 · ≈ $0.01');
    fireEvent.click(screen.getByTestId('send-button'));
    await waitFor(() => expect(send).toHaveBeenCalledTimes(1));
    expect(send.mock.calls[0]![0]).toMatchObject({ body: 'Your appointment is Tuesday at 10', requestsConfirmation: true });
    await waitFor(() => expect((screen.getByTestId('ask-confirm') as HTMLInputElement).checked).toBe(false));
  });

  it('ticks the box for a template that asks for confirmation, marked so or ending with the request text', async () => {
    withOrgWords(['SI'], ['NO']);
    const picker = (await screen.findByTestId('template-picker')) as HTMLSelectElement;
    const box = () => (screen.getByTestId('ask-confirm') as HTMLInputElement).checked;
    fireEvent.change(picker, { target: { value: 'tp1' } });
    expect(box()).toBe(false);
    expect(screen.getByTestId('composer-preview').textContent).toBe('Preview: Hi Maria, parking is behind the building.');
    type('');
    fireEvent.change(picker, { target: { value: 'tp2' } });
    expect(box()).toBe(true);
    type('');
    fireEvent.click(screen.getByTestId('ask-confirm'));
    fireEvent.change(picker, { target: { value: 'tp3' } });
    expect(box()).toBe(true);
    // The body already asks: nothing more is added.
    expect(screen.queryByTestId('confirm-adds')).toBeNull();
  });
});

describe('Secure Chat', () => {
  it('is offered beside SMS; chosen, it sends secure without SMS counting and says how the patient was told', async () => {
    await waitFor(() => expect(screen.getByTestId('composer-channel-secure')).toBeTruthy());
    expect(screen.getByTestId('composer-channel-sms').getAttribute('aria-checked')).toBe('true');
    fireEvent.click(screen.getByTestId('composer-channel-secure'));
    type('Your A1C is 9.2');
    expect(screen.getByTestId('composer-counter').textContent).toBe('Secure Chat · no SMS segments');
    expect(screen.queryByTestId('phi-warning')).toBeNull();
    send.mockResolvedValueOnce({ ...ok, status: 'sent', notification: { via: 'sms', to: '+14155550100', sendAfter: null } } as never);
    fireEvent.click(screen.getByTestId('send-button'));
    await waitFor(() => expect(vi.mocked(notify)).toHaveBeenCalledWith('Sent as Secure Chat. Link sent by SMS to (415) 555-0100.', 'info', 8000));
    expect(send.mock.calls[0]![0]).toMatchObject({ conversationId: 'c1', body: 'Your A1C is 9.2', channel: 'secure' });
    expect(send.mock.calls[0]![0]).not.toHaveProperty('confirmPhi');
    // The next message stays on Secure Chat.
    expect(screen.getByTestId('composer-channel-secure').getAttribute('aria-checked')).toBe('true');
  });

  it('the PHI question sends the same text as Secure Chat with its first choice', async () => {
    await waitFor(() => expect(screen.getByTestId('composer-channel-secure')).toBeTruthy());
    type('Your A1C is 9.2');
    send.mockRejectedValueOnce(refused('BAD_REQUEST', 'Looks like lab results.', 'phi'));
    fireEvent.click(screen.getByTestId('send-button'));
    const first = await waitFor(() => screen.getByTestId('phi-dialog').querySelector('button[data-testid]')!);
    expect(first.getAttribute('data-testid')).toBe('phi-send-secure');
    send.mockResolvedValueOnce({ ...ok, notification: { via: 'email', to: 'maria@example.com' } } as never);
    fireEvent.click(first);
    await waitFor(() => expect(send).toHaveBeenCalledTimes(2));
    expect(send.mock.calls[1]![0]).toMatchObject({ body: 'Your A1C is 9.2', channel: 'secure' });
    expect(keyOf(1)).not.toBe(keyOf(0));
  });

  it('where SMS is not possible, Secure Chat alone, saying why', async () => {
    cleanup();
    availability.mockResolvedValueOnce({ ...BOTH, sms: { available: false, reason: '(415) 555-2671 is a landline and cannot receive SMS.', blockedBy: 'landline' } } as never);
    render(<Composer conversation={conversation} onSent={onSent} />);
    await waitFor(() => expect(screen.getByTestId('sms-unavailable').textContent).toContain('is a landline'));
    expect(screen.getByTestId('composer-channel-secure').getAttribute('aria-checked')).toBe('true');
    expect((screen.getByTestId('composer-channel-sms') as HTMLButtonElement).disabled).toBe(true);
  });
});

describe('A patient who opted out', () => {
  it('keeps Secure Chat open, saying why SMS is not', async () => {
    cleanup();
    const optedOut = { ...conversation, optOut: { keyword: 'STOP', at: new Date('2026-11-20T15:00:00Z') } } as OpenConversation;
    render(<Composer conversation={optedOut} onSent={onSent} />);
    await waitFor(() => expect(screen.getByTestId('composer-channel-secure').getAttribute('aria-checked')).toBe('true'));
    expect((screen.getByTestId('composer-channel-sms') as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByTestId('sms-unavailable').textContent).toContain('opted out by replying STOP');
    type('Your results are in');
    send.mockResolvedValueOnce({ ...ok, notification: { via: 'email', to: 'maria@example.com' } } as never);
    fireEvent.click(screen.getByTestId('send-button'));
    await waitFor(() => expect(send).toHaveBeenCalledTimes(1));
    expect(send.mock.calls[0]![0]).toMatchObject({ channel: 'secure' });
  });

  it('closes the composer with the reason and what to do instead where Secure Chat is not offered; it opens again once they text START', () => {
    cleanup();
    availability.mockResolvedValue({ ...BOTH, secure: { available: false, reason: 'Select a patient.' } } as never);
    const optedOut = { ...conversation, optOut: { keyword: 'STOP', at: new Date('2026-11-20T15:00:00Z') } } as OpenConversation;
    const { rerender } = render(<Composer conversation={optedOut} onSent={onSent} />);
    expect((screen.getByTestId('composer-text') as HTMLTextAreaElement).disabled).toBe(true);
    expect((screen.getByTestId('send-button') as HTMLButtonElement).disabled).toBe(true);
    const closed = screen.getByTestId('composer-closed');
    expect(closed.getAttribute('data-reason')).toBe('opted_out');
    expect(closed.textContent).toBe('Maria Garcia opted out by replying STOP to (415) 555-0100 on Nov 20, 2026. They can text START to opt back in. Use Secure Chat or call them.');
    rerender(<Composer conversation={conversation} onSent={onSent} />);
    expect((screen.getByTestId('composer-text') as HTMLTextAreaElement).disabled).toBe(false);
    expect(screen.queryByTestId('composer-closed')).toBeNull();
  });
});

describe('A conversation whose number was released', () => {
  it('is read-only where Secure Chat is not offered: the composer is disabled and says why and what to do instead', () => {
    cleanup();
    availability.mockResolvedValue({ ...BOTH, secure: { available: false, reason: 'Select a patient.' } } as never);
    const reason = 'This number ((415) 555-0100) was released on 2026-04-20; start a new conversation from a current number.';
    render(<Composer conversation={{ ...conversation, readOnly: reason } as OpenConversation} onSent={onSent} />);
    expect((screen.getByTestId('composer-text') as HTMLTextAreaElement).disabled).toBe(true);
    expect((screen.getByTestId('send-button') as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByTestId('composer-closed').textContent).toBe(reason);
    fireEvent.click(screen.getByTestId('send-button'));
    expect(send).not.toHaveBeenCalled();
  });
});

describe('Files (Secure Chat only)', () => {
  const upload = vi.mocked(uploadFile);
  const file = (name: string, type: string) => new File([new Uint8Array([1, 2, 3])], name, { type });

  it('uploads each file with progress, shows why one is refused, sends the ready ones with no text, and clears', async () => {
    let finish!: (v: { id: string; fileName: string; contentType: string; size: number }) => void;
    upload.mockReset();
    upload.mockImplementationOnce((_c, _f, onProgress) => {
      onProgress(0.5);
      return new Promise((r) => (finish = r));
    });
    upload.mockImplementationOnce(async () => {
      throw new Error("This file's contents are not a type CareText accepts");
    });
    await waitFor(() => screen.getByTestId('composer-channel-secure'));
    fireEvent.click(screen.getByTestId('composer-channel-secure'));
    fireEvent.change(screen.getByTestId('attach-input'), { target: { files: [file('scan.png', 'image/png'), file('notes.pdf', 'application/pdf')] } });
    await waitFor(() => expect(screen.getByTestId('draft-file-error').textContent).toContain('not a type CareText accepts'));
    expect(upload.mock.calls[0]![0]).toBe('c1');
    expect((screen.getByTestId('draft-file-progress') as HTMLProgressElement).value).toBe(0.5);
    // Still uploading: nothing can be sent yet, even with text.
    type('See attached');
    expect((screen.getByTestId('send-button') as HTMLButtonElement).disabled).toBe(true);
    type('');
    finish({ id: 'f1', fileName: 'scan.png', contentType: 'image/png', size: 3 });
    await waitFor(() => expect((screen.getByTestId('send-button') as HTMLButtonElement).disabled).toBe(false));
    fireEvent.click(screen.getAllByTestId('draft-file-remove')[1]!);
    expect(screen.getAllByTestId('draft-file')).toHaveLength(1);
    send.mockResolvedValueOnce(ok as never);
    fireEvent.click(screen.getByTestId('send-button'));
    await waitFor(() => expect(onSent).toHaveBeenCalled());
    expect(send.mock.calls[0]![0]).toMatchObject({ conversationId: 'c1', body: '', channel: 'secure', attachmentIds: ['f1'] });
    expect(screen.queryByTestId('draft-file')).toBeNull();
  });

  it('SMS has no attach button', async () => {
    await waitFor(() => screen.getByTestId('composer-channel-sms'));
    fireEvent.click(screen.getByTestId('composer-channel-sms'));
    expect(screen.queryByTestId('attach-button')).toBeNull();
  });
});
