import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/preact';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PageReading } from '../ehr/registry';
import type { Answer, Push, Request } from '../protocol';
import type { PatientView } from '../views';
import { Sidebar } from './Sidebar';

/**
 * Attach in the sidebar's composer (issue 12, Secure Chat files), with the background stubbed as
 * in Sidebar.spec.tsx. Uploads answer only when the test says so, to see the uploading state.
 */
type Upload = Extract<Request, { type: 'attachment.upload' }>;

function fakeBackground(over: Partial<Record<Request['type'], (r: Request) => Answer<unknown> | Promise<Answer<unknown>>>> = {}) {
  const requests: Request[] = [];
  const uploads: { request: Upload; answer(a: Answer<unknown>): void }[] = [];
  const chromeStub = {
    runtime: {
      id: 'test',
      sendMessage: vi.fn(async (r: Request) => {
        requests.push(r);
        if (r.type === 'attachment.upload') return new Promise((resolve) => uploads.push({ request: r, answer: resolve }));
        if (over[r.type]) return over[r.type]!(r);
        const session = { signedIn: true, serverUrl: 'https://ct.example', email: 'a@b.c', user: null, org: { id: 'o1', name: 'Riverside' }, orgs: [], online: true, pendingOutbox: 0 };
        if (r.type === 'session.get') return ok(session);
        if (r.type === 'patient.lookup') return ok({ signedIn: true, page, patient: ben, matchedBy: 'mrn', differentMrn: null });
        if (r.type === 'patient.view') return ok(view());
        if (r.type === 'patient.history') return ok({ messages: [], conversationIds: [], optOuts: [], outbox: [] });
        if (r.type === 'outbox.list') return ok([]);
        if (r.type === 'message.send') return ok({ status: 'sent', messageId: 'm1', messageStatus: 'sent', sendAfter: null, duplicate: false });
        return ok(null);
      }),
      connect: () => ({ onMessage: { addListener: (_fn: (p: Push) => void) => undefined }, onDisconnect: { addListener: () => undefined }, disconnect: () => undefined }),
    },
  };
  vi.stubGlobal('chrome', chromeStub);
  return { requests, uploads, sends: () => requests.filter((r) => r.type === 'message.send') as Extract<Request, { type: 'message.send' }>[] };
}

const ok = <T,>(value: T): Answer<T> => ({ ok: true, value });
const reading: PageReading = { adapterId: 'generic', patient: { name: 'Ben Okafor', firstName: 'Ben', lastName: 'Okafor', dob: '1990-06-01', mrn: 'OE-2001', phone: '(415) 555-0177', email: null } };
const page = { firstName: 'Ben', lastName: 'Okafor', dob: '1990-06-01', mrn: 'OE-2001', phone: '+14155550177', email: null, displayName: 'Ben Okafor' };
const ben = { id: 'p2', displayName: 'Ben Okafor', firstName: 'Ben', lastName: 'Okafor', mrn: 'OE-2001', phone: '+14155550177', phoneDisplay: '(415) 555-0177', phoneLineType: 'mobile', email: null, dob: '1990-06-01', optedOut: false, blocked: false };
const view = (): PatientView => ({
  messages: [],
  conversationIds: [],
  optOuts: [],
  outbox: [],
  teams: [{ id: 't1', name: 'Front Desk', number: '(415) 555-0100' }],
  teamId: 't1',
  availability: { secure: { available: true, reason: null }, sms: { available: true, reason: null } },
  templates: [],
  draft: '',
  confirmationWords: null,
  orgName: 'Riverside',
});

const pdf = (name = 'lab-results.pdf', bytes = '%PDF-1.4 test') => new File([bytes], name, { type: 'application/pdf' });
/** A file whose size says more than 10 MB without holding 10 MB in memory. */
const huge = () => {
  const f = new File(['x'], 'scan.pdf', { type: 'application/pdf' });
  Object.defineProperty(f, 'size', { value: 12 * 1024 * 1024 });
  return f;
};
const attach = (...files: File[]) => fireEvent.change(screen.getByTestId('attach-input'), { target: { files } });
const send = () => screen.getByTestId('send-button') as HTMLButtonElement;

beforeEach(() => vi.unstubAllGlobals());
afterEach(cleanup);

describe('Attach in the sidebar composer (Secure Chat)', () => {
  it('uploads through the background, shows it uploading with Send held, then sends the file alone, once, however many clicks', async () => {
    const bg = fakeBackground();
    render(<Sidebar reading={reading} initiallyOpen />);
    fireEvent.click(await screen.findByTestId('channel-secure'));
    fireEvent.input(screen.getByTestId('composer-text'), { target: { value: 'Your results' } });
    attach(pdf());

    // The bytes went to the background (base64: chrome messaging is JSON), for this patient and team.
    await waitFor(() => expect(bg.uploads).toHaveLength(1));
    expect(bg.uploads[0]!.request).toEqual({ type: 'attachment.upload', patientId: 'p2', teamId: 't1', name: 'lab-results.pdf', data: btoa('%PDF-1.4 test') });
    const chip = screen.getByTestId('draft-file');
    expect(chip.getAttribute('data-status')).toBe('uploading');
    expect(chip.textContent).toContain('lab-results.pdf');
    expect(screen.getByTestId('draft-file-progress')).toBeTruthy();
    expect(send().disabled).toBe(true);
    expect(send().textContent).toBe('Uploading…');
    // Held while a file uploads, even with text to send (and Ctrl+Enter too).
    fireEvent.click(send());
    fireEvent.keyDown(screen.getByTestId('composer-text'), { key: 'Enter', ctrlKey: true });
    await new Promise((r) => setTimeout(r, 20));
    expect(bg.sends()).toHaveLength(0);
    fireEvent.input(screen.getByTestId('composer-text'), { target: { value: '' } });

    await act(async () => bg.uploads[0]!.answer(ok({ id: 'att-1', fileName: 'lab-results.pdf', contentType: 'application/pdf', size: 13 })));
    await waitFor(() => expect(screen.getByTestId('draft-file').getAttribute('data-status')).toBe('ready'));
    expect(screen.queryByTestId('draft-file-progress')).toBeNull();
    // No text: a secure message may be files only.
    expect(send().disabled).toBe(false);
    fireEvent.click(send());
    fireEvent.click(send());
    await waitFor(() => expect(screen.queryByTestId('draft-file')).toBeNull());
    expect(bg.sends()).toHaveLength(1);
    expect(bg.sends()[0]).toMatchObject({ patientId: 'p2', teamId: 't1', channel: 'secure', body: '', attachmentIds: ['att-1'] });
  });

  it('refuses a file over 10 MB in plain words without reading or sending it; the server’s refusal shows under its file; Remove takes either away', async () => {
    const bg = fakeBackground();
    render(<Sidebar reading={reading} initiallyOpen />);
    fireEvent.click(await screen.findByTestId('channel-secure'));
    attach(huge());
    expect((await screen.findByTestId('draft-file-error')).textContent).toBe('This file is too large: the largest you can attach is 10 MB. Send a smaller file.');
    expect(bg.uploads).toHaveLength(0);
    // Nothing to send: an errored file is not a file to send.
    expect(send().disabled).toBe(true);

    attach(pdf('notes.exe', 'MZ'));
    await waitFor(() => expect(bg.uploads).toHaveLength(1));
    await act(async () => bg.uploads[0]!.answer({ ok: false, error: { message: "This file's contents are not a type CareText accepts (whatever its name says). Send a photo or a PDF.", reason: 'wrong_type', details: {} } }));
    await waitFor(() => expect(screen.getAllByTestId('draft-file-error')).toHaveLength(2));
    expect(screen.getAllByTestId('draft-file-error')[1]!.textContent).toContain('not a type CareText accepts');
    expect(send().disabled).toBe(true);

    for (const button of screen.getAllByTestId('draft-file-remove')) fireEvent.click(button);
    expect(screen.queryByTestId('draft-file')).toBeNull();
    fireEvent.input(screen.getByTestId('composer-text'), { target: { value: 'See you Tuesday' } });
    fireEvent.click(send());
    await waitFor(() => expect(bg.sends()).toHaveLength(1));
    expect(bg.sends()[0]).not.toHaveProperty('attachmentIds');
  });

  it('SMS never carries files: no Attach there, and files attached under Secure Chat stay behind when sending by SMS', async () => {
    const bg = fakeBackground();
    render(<Sidebar reading={reading} initiallyOpen />);
    fireEvent.click(await screen.findByTestId('channel-sms'));
    expect(screen.queryByTestId('attach-button')).toBeNull();

    fireEvent.click(screen.getByTestId('channel-secure'));
    expect(screen.getByTestId('attach-button')).toBeTruthy();
    attach(pdf());
    await waitFor(() => expect(bg.uploads).toHaveLength(1));
    await act(async () => bg.uploads[0]!.answer(ok({ id: 'att-1', fileName: 'lab-results.pdf', contentType: 'application/pdf', size: 13 })));
    await waitFor(() => expect(screen.getByTestId('draft-file').getAttribute('data-status')).toBe('ready'));

    fireEvent.click(screen.getByTestId('channel-sms'));
    expect(screen.getByTestId('files-not-sms').textContent).toContain('Files go only by Secure Chat');
    expect(screen.queryByTestId('attach-button')).toBeNull();
    // Files alone are nothing to text.
    expect(send().disabled).toBe(true);
    fireEvent.input(screen.getByTestId('composer-text'), { target: { value: 'Call us back' } });
    fireEvent.click(send());
    await waitFor(() => expect(bg.sends()).toHaveLength(1));
    expect(bg.sends()[0]).not.toHaveProperty('attachmentIds');
    expect(bg.sends()[0]!.channel).toBeUndefined();
  });
});
