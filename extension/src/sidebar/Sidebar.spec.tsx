import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/preact';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PageList, PageReading } from '../ehr/registry';
import type { Answer, Push, Request } from '../protocol';
import type { Availability, HistoryView, ListMatchView, LookupView, PatientView } from '../views';
import { Sidebar } from './Sidebar';

/** The background as the sidebar sees it: canned answers per request type, and a port to push on. */
function fakeBackground(answers: Partial<Record<Request['type'], (r: Request) => Answer<unknown>>>) {
  const requests: Request[] = [];
  const listeners: ((p: Push) => void)[] = [];
  const chromeStub = {
    runtime: {
      id: 'test',
      sendMessage: vi.fn(async (r: Request) => {
        requests.push(r);
        const session = { signedIn: true, serverUrl: 'https://ct.example', email: 'a@b.c', user: null, org: { id: 'o1', name: 'Riverside' }, orgs: [], online: true, pendingOutbox: 0 };
        return answers[r.type]?.(r) ?? (r.type === 'session.get' ? ok(session) : r.type === 'outbox.list' ? ok([]) : ok(null));
      }),
      connect: () => ({ onMessage: { addListener: (fn: (p: Push) => void) => listeners.push(fn) }, onDisconnect: { addListener: () => undefined }, disconnect: () => undefined }),
    },
  };
  vi.stubGlobal('chrome', chromeStub);
  return { requests, push: (p: Push) => act(() => listeners.forEach((fn) => fn(p))) };
}

const ok = <T,>(value: T): Answer<T> => ({ ok: true, value });
const reading = (name: string): PageReading => ({ adapterId: 'generic', patient: { name, firstName: 'Phil', lastName: 'Lopez', dob: '1972-02-09', mrn: 'OE-1042', phone: '(415) 555-0142', email: null } });
const page = { firstName: 'Phil', lastName: 'Lopez', dob: '1972-02-09', mrn: 'OE-1042', phone: '+14155550142', email: null, displayName: 'Phil Lopez' };
const phil = { id: 'p1', displayName: 'Phil Lopez', firstName: 'Phil', lastName: 'Lopez', mrn: 'OE-1042', phone: '+14155550142', phoneDisplay: '(415) 555-0142', phoneLineType: 'mobile', email: null, dob: '1972-02-09', optedOut: false, blocked: false };
const history = (messages: HistoryView['messages'] = []): HistoryView => ({ messages, conversationIds: ['c1'], optOuts: [], outbox: [] });
const view = (over: Partial<PatientView> = {}): PatientView => ({
  ...history(),
  teams: [{ id: 't1', name: 'Front Desk', number: '(415) 555-0100' }],
  teamId: 't1',
  availability: { secure: { available: false, reason: 'Secure Chat is coming soon.' }, sms: { available: true, reason: null } },
  templates: [{ id: 'tp1', name: 'Reminder', body: 'Hi {{first_name}}, see you soon.', team: null }],
  draft: '',
  confirmationWords: null,
  orgName: 'Riverside',
  ...over,
});
const matched: LookupView = { signedIn: true, page, patient: phil, matchedBy: 'mrn', differentMrn: null };
const inbound = (id: string, body: string) => ({ id, conversationId: 'c1', direction: 'inbound', channel: 'sms', body, status: 'received', errorCode: null, errorMessage: null, sender: null, sendAfter: null, createdAt: '2026-11-23T15:00:00.000Z', requestsConfirmation: false, confirmation: null, readAt: null });

beforeEach(() => vi.unstubAllGlobals());
afterEach(cleanup);

describe('the sidebar', () => {
  it('shows what the page says as text: an HTML payload in the name never becomes markup', async () => {
    fakeBackground({ 'patient.lookup': () => ok({ ...matched, patient: null, signedIn: true }) });
    const payload = '<img src=x onerror="window.pwned=1">Mallory';
    const { container } = render(<Sidebar reading={reading(payload)} initiallyOpen />);
    await screen.findByTestId('create-patient');
    expect(screen.getByTestId('page-patient-name').textContent).toBe(payload);
    expect(container.querySelector('img')).toBeNull();
  });

  it('asks before sending what looks like PHI, then sends the same message (same key) once confirmed', async () => {
    let sends = 0;
    const bg = fakeBackground({
      'patient.lookup': () => ok(matched),
      'patient.view': () => ok(view()),
      'patient.history': () => ok(history()),
      'message.send': (r) => {
        sends++;
        if (r.type === 'message.send' && !r.confirmPhi) return { ok: false, error: { message: 'This text looks like it contains a diagnosis or condition.', reason: 'phi', details: {} } };
        return ok({ status: 'sent', messageId: 'm1', messageStatus: 'queued', sendAfter: null, duplicate: false });
      },
    });
    render(<Sidebar reading={reading('Phil Lopez')} initiallyOpen />);
    const text = await screen.findByTestId('composer-text');
    fireEvent.input(text, { target: { value: 'Your diabetes follow-up is Tuesday' } });
    expect(screen.getByTestId('composer-counter').textContent).toMatch(/^34 \/ 160 · 1 segment · GSM-7/);
    expect(screen.getByTestId('phi-warning').textContent).toContain('a diagnosis or condition');
    fireEvent.click(screen.getByTestId('send-button'));
    await screen.findByTestId('phi-dialog');
    fireEvent.click(screen.getByTestId('phi-send-anyway'));
    await waitFor(() => expect(sends).toBe(2));
    const [first, second] = bg.requests.filter((r) => r.type === 'message.send') as Extract<Request, { type: 'message.send' }>[];
    expect(second).toMatchObject({ idempotencyKey: first!.idempotencyKey, confirmPhi: true, teamId: 't1', patientId: 'p1' });
    await waitFor(() => expect(screen.queryByTestId('phi-dialog')).toBeNull());
    expect((screen.getByTestId('composer-text') as HTMLTextAreaElement).value).toBe('');
  });

  it('in quiet hours, offers to send now or schedule, and sends the choice', async () => {
    const bg = fakeBackground({
      'patient.lookup': () => ok(matched),
      'patient.view': () => ok(view()),
      'patient.history': () => ok(history()),
      'message.send': (r) =>
        r.type === 'message.send' && r.quietHours
          ? ok({ status: 'sent', messageId: 'm1', messageStatus: 'queued', sendAfter: '2026-11-24T14:00:00.000Z', duplicate: false })
          : { ok: false, error: { message: 'It is quiet hours for this patient (21:00–08:00, America/Chicago).', reason: 'quiet_hours', details: { nextSendTime: '2026-11-24T14:00:00.000Z' } } },
    });
    render(<Sidebar reading={reading('Phil Lopez')} initiallyOpen />);
    fireEvent.input(await screen.findByTestId('composer-text'), { target: { value: 'See you tomorrow' } });
    fireEvent.click(screen.getByTestId('send-button'));
    const dialog = await screen.findByTestId('quiet-hours-dialog');
    expect(dialog.textContent).toContain('quiet hours for this patient');
    fireEvent.click(screen.getByTestId('quiet-schedule'));
    await waitFor(() => expect(bg.requests.filter((r) => r.type === 'message.send')).toHaveLength(2));
    expect(bg.requests.filter((r) => r.type === 'message.send').at(-1)).toMatchObject({ quietHours: 'schedule' });
    expect((await screen.findByTestId('send-info')).textContent).toMatch(/^Scheduled for .*when quiet hours end\.$/);
  });

  it('explains why SMS is unavailable and what to do instead, and will not send', async () => {
    fakeBackground({
      'patient.lookup': () => ok(matched),
      'patient.view': () =>
        ok(view({ availability: { secure: { available: false, reason: 'Secure Chat is coming soon.' }, sms: { available: false, reason: '(415) 555-0142 is a landline and cannot receive SMS.', blockedBy: 'landline' } } })),
    });
    render(<Sidebar reading={reading('Phil Lopez')} initiallyOpen />);
    expect((await screen.findByTestId('sms-unavailable')).textContent).toBe('(415) 555-0142 is a landline and cannot receive SMS. Call them, or add a mobile number to their profile.');
    expect((screen.getByTestId('composer-text') as HTMLTextAreaElement).disabled).toBe(true);
    expect((screen.getByTestId('send-button') as HTMLButtonElement).disabled).toBe(true);
  });

  it('closed while the patient is opted out, with what to do instead; opens again when a START arrives', async () => {
    const optedOut = { available: false, reason: 'The patient opted out by replying STOP to (415) 555-0100 on 2026-11-20. They can text START to opt back in.', blockedBy: 'opted_out' };
    let state: { sms: Availability; optOuts: HistoryView['optOuts'] } = { sms: optedOut, optOuts: [{ number: '(415) 555-0100', keyword: 'STOP', at: '2026-11-20T15:00:00.000Z' }] };
    const bg = fakeBackground({
      'patient.lookup': () => ok(matched),
      'patient.view': () => ok(view({ optOuts: state.optOuts, availability: { secure: { available: false, reason: 'soon' }, sms: state.sms } })),
      'patient.history': () => ok({ ...history(), optOuts: state.optOuts }),
    });
    render(<Sidebar reading={reading('Phil Lopez')} initiallyOpen />);
    const note = await screen.findByTestId('sms-unavailable');
    expect(note.getAttribute('data-reason')).toBe('opted_out');
    expect(note.textContent).toBe(`${optedOut.reason} Use Secure Chat or call them.`);
    expect((screen.getByTestId('composer-text') as HTMLTextAreaElement).disabled).toBe(true);
    expect((screen.getByTestId('ask-confirm') as HTMLInputElement).disabled).toBe(true);

    state = { sms: { available: true, reason: null, blockedBy: null }, optOuts: [] };
    bg.push({ type: 'message', patientId: 'p1', conversationId: 'c1', added: null, changed: null, optOutChanged: true });
    await waitFor(() => expect(screen.queryByTestId('sms-unavailable')).toBeNull());
    expect((screen.getByTestId('composer-text') as HTMLTextAreaElement).disabled).toBe(false);
    expect(bg.requests.filter((r) => r.type === 'patient.view')).toHaveLength(2);
  });

  it('asks the patient to confirm in the org’s words: shows and counts what is added, and sends the flag', async () => {
    const bg = fakeBackground({
      'patient.lookup': () => ok(matched),
      'patient.view': () => ok(view({ confirmationWords: { confirm: ['SI'], decline: ['NO'] } })),
      'patient.history': () => ok(history()),
      'message.send': () => ok({ status: 'sent', messageId: 'm1', messageStatus: 'queued', sendAfter: null, duplicate: false }),
    });
    render(<Sidebar reading={reading('Phil Lopez')} initiallyOpen />);
    fireEvent.input(await screen.findByTestId('composer-text'), { target: { value: 'See you Tuesday at 10' } });
    expect(screen.getByTestId('ask-confirm').parentElement!.textContent).toBe('Ask the patient to confirm (SI/NO)');
    fireEvent.click(screen.getByTestId('ask-confirm'));
    expect(screen.getByTestId('confirm-adds').textContent).toBe('Adds: Reply SI to confirm or NO to decline.');
    expect(screen.getByTestId('composer-counter').textContent).toBe('60 / 160 · 1 segment · GSM-7 · ≈ $0.01');
    fireEvent.click(screen.getByTestId('send-button'));
    await waitFor(() => expect(bg.requests.some((r) => r.type === 'message.send')).toBe(true));
    expect(bg.requests.find((r) => r.type === 'message.send')).toMatchObject({ body: 'See you Tuesday at 10', requestsConfirmation: true });
    await waitFor(() => expect((screen.getByTestId('ask-confirm') as HTMLInputElement).checked).toBe(false));
  });

  it('ticks the box for a template that asks for confirmation, and previews the tokens filled in', async () => {
    const templates = [
      { id: 'tp1', name: 'Reminder', body: 'Hi {{first_name}}, see you soon.', team: null },
      { id: 'tp2', name: 'Visit', body: 'Visit Tuesday. Reply C to confirm or N to decline.', team: null },
      { id: 'tp3', name: 'Marked', body: 'Visit Wednesday.', team: null, requestsConfirmation: true },
    ];
    fakeBackground({ 'patient.lookup': () => ok(matched), 'patient.view': () => ok(view({ templates })), 'patient.history': () => ok(history()) });
    render(<Sidebar reading={reading('Phil Lopez')} initiallyOpen />);
    const picker = (await screen.findByTestId('template-picker')) as HTMLSelectElement;
    const box = () => (screen.getByTestId('ask-confirm') as HTMLInputElement).checked;
    fireEvent.change(picker, { target: { value: 'tp1' } });
    expect(box()).toBe(false);
    expect(screen.getByTestId('composer-preview').textContent).toBe('Preview: Hi Phil, see you soon.');
    fireEvent.input(screen.getByTestId('composer-text'), { target: { value: '' } });
    fireEvent.change(picker, { target: { value: 'tp2' } });
    expect(box()).toBe(true);
    expect(screen.queryByTestId('confirm-adds')).toBeNull();
    fireEvent.input(screen.getByTestId('composer-text'), { target: { value: '' } });
    fireEvent.click(screen.getByTestId('ask-confirm'));
    fireEvent.change(picker, { target: { value: 'tp3' } });
    expect(box()).toBe(true);
    fireEvent.input(screen.getByTestId('composer-text'), { target: { value: 'Hi {{firstname}}' } });
    expect(screen.getByTestId('unknown-tokens').textContent).toBe('Unknown token {{firstname}}: it would be sent as written. Use one of the Personalize tokens.');
  });

  it('shows Confirmed, Declined and Awaiting on confirmation requests, as the web inbox does', async () => {
    const request = (id: string, confirmation: string | null) => ({ ...inbound(id, `visit ${id}`), direction: 'outbound', status: 'delivered', sender: 'Dana', requestsConfirmation: true, confirmation });
    const messages = [request('m1', 'confirmed'), request('m2', 'declined'), request('m3', null), { ...inbound('m4', 'C') }];
    fakeBackground({ 'patient.lookup': () => ok(matched), 'patient.view': () => ok(view({ messages })), 'patient.history': () => ok(history(messages)) });
    render(<Sidebar reading={reading('Phil Lopez')} initiallyOpen />);
    await waitFor(() => expect(screen.getAllByTestId('confirmation-chip')).toHaveLength(3));
    expect(screen.getAllByTestId('confirmation-chip').map((c) => [c.textContent, c.className])).toEqual([
      ['Confirmed', 'chip ok'],
      ['Declined', 'chip error'],
      ['Awaiting C/N', 'chip pending'],
    ]);
  });

  it('says a message sent offline is in the outbox, and restores the draft it was given', async () => {
    fakeBackground({
      'patient.lookup': () => ok(matched),
      'patient.view': () => ok(view({ draft: 'Half-written reminder' })),
      'patient.history': () => ok(history()),
      'message.send': () => ok({ status: 'queued' }),
    });
    render(<Sidebar reading={reading('Phil Lopez')} initiallyOpen />);
    const text = (await screen.findByTestId('composer-text')) as HTMLTextAreaElement;
    expect(text.value).toBe('Half-written reminder');
    fireEvent.click(screen.getByTestId('send-button'));
    expect((await screen.findByTestId('send-info')).textContent).toContain('Saved to the outbox');
  });

  it('counts replies that arrive while it is hidden on the toggle, and clears the count when opened', async () => {
    const bg = fakeBackground({
      'patient.lookup': () => ok(matched),
      'patient.view': () => ok(view({ messages: [inbound('m1', 'Earlier reply')] })),
    });
    render(<Sidebar reading={reading('Phil Lopez')} initiallyOpen={false} />);
    await waitFor(() => expect(bg.requests.some((r) => r.type === 'patient.view')).toBe(true));
    const reply = (id: string, body: string) => bg.push({ type: 'message', patientId: 'p1', conversationId: 'c1', added: { ...inbound(id, body), createdAt: `2026-11-23T15:0${id.slice(1)}:00.000Z` }, changed: null, optOutChanged: false });
    reply('m2', 'Running late');
    reply('m3', 'Be there at 10');
    reply('m3', 'Be there at 10');
    expect((await screen.findByTestId('unread-badge')).textContent).toBe('2');
    fireEvent.click(screen.getByTestId('ehr-toggle'));
    expect(screen.queryByTestId('unread-badge')).toBeNull();
    expect(await screen.findByText('Be there at 10')).toBeTruthy();
  });

  it('marks secure messages (no SMS status) and shows the read receipt when the patient views one, live; SMS never shows one', async () => {
    const secure = { ...inbound('m1', 'Your results are in'), channel: 'secure', direction: 'outbound', status: 'sent', sender: 'Dana' };
    const sms = { ...inbound('m2', 'Portal link'), direction: 'outbound', status: 'delivered', sender: null, readAt: '2026-11-23T15:01:00.000Z' };
    const bg = fakeBackground({ 'patient.lookup': () => ok(matched), 'patient.view': () => ok(view({ messages: [secure, sms] })) });
    render(<Sidebar reading={reading('Phil Lopez')} initiallyOpen />);
    await screen.findByText('Your results are in');
    const [first, second] = screen.getAllByTestId('message');
    expect(first!.getAttribute('data-channel')).toBe('secure');
    expect(first!.querySelector('[data-testid="secure-badge"]')?.textContent).toContain('Secure Chat');
    expect(first!.querySelector('[data-testid="message-status"]')).toBeNull();
    expect(screen.queryByTestId('read-receipt')).toBeNull();
    // The patient opens it in the portal: the receipt arrives without a status change.
    bg.push({ type: 'message', patientId: 'p1', conversationId: 'c1', added: null, changed: { id: 'm1', status: 'sent', errorCode: null, errorMessage: null, confirmation: null, readAt: '2026-11-23T15:05:00.000Z' }, optOutChanged: false });
    const receipt = await screen.findByTestId('read-receipt');
    expect(receipt.textContent).toContain('Seen');
    expect(first!.contains(receipt)).toBe(true);
    // The SMS keeps its carrier status and, whatever it carries, no receipt.
    expect(second!.querySelector('[data-testid="message-status"]')?.textContent).toBe('· Delivered');
    expect(screen.getAllByTestId('read-receipt')).toHaveLength(1);
  });

  it('a blast that wrote to (or was canceled in) this patient\'s conversation re-reads the history; one elsewhere reads nothing', async () => {
    let blasted = false;
    const blastMessage = { ...inbound('b1', 'Flu shots are in, Phil'), direction: 'outbound', status: 'queued', sender: 'Dana' };
    const bg = fakeBackground({
      'patient.lookup': () => ok(matched),
      'patient.view': () => ok(view({ messages: [inbound('m1', 'Hello')] })),
      'patient.history': () => ok(history(blasted ? [inbound('m1', 'Hello'), blastMessage] : [inbound('m1', 'Hello')])),
    });
    render(<Sidebar reading={reading('Phil Lopez')} initiallyOpen />);
    await screen.findByText('Hello');
    const historyReads = () => bg.requests.filter((r) => r.type === 'patient.history').length;
    bg.push({ type: 'conversations.changed', conversationIds: ['c7', 'c8'] });
    await act(async () => {});
    expect(historyReads()).toBe(0);
    blasted = true;
    bg.push({ type: 'conversations.changed', conversationIds: ['c7', 'c1'] });
    expect(await screen.findByText('Flu shots are in, Phil')).toBeTruthy();
    expect(historyReads()).toBe(1);
  });

  it('a message recalled while the sidebar is open shows "Message recalled" at once, its text and files gone', async () => {
    const secure = { ...inbound('m1', 'Your biopsy results'), channel: 'secure', direction: 'outbound', status: 'sent', sender: 'Dana', attachments: [{ id: 'a1', fileName: 'report.pdf', recalled: false }] };
    const bg = fakeBackground({ 'patient.lookup': () => ok(matched), 'patient.view': () => ok(view({ messages: [secure] })) });
    render(<Sidebar reading={reading('Phil Lopez')} initiallyOpen />);
    await screen.findByText('Your biopsy results');
    bg.push({ type: 'message', patientId: 'p1', conversationId: 'c1', added: null, changed: { id: 'm1', status: 'sent', errorCode: null, errorMessage: null, confirmation: null, recalled: true, attachments: [{ id: 'a1', fileName: 'report.pdf', recalled: true }] }, optOutChanged: false });
    expect(await screen.findByTestId('message-recalled')).toBeTruthy();
    expect(screen.queryByText('Your biopsy results')).toBeNull();
  });

  it('resends the secure link of the latest secure conversation after confirming, and says where it went', async () => {
    const secure = { ...inbound('m1', 'Your results are in'), conversationId: 'c7', channel: 'secure', direction: 'outbound', status: 'sent', sender: 'Dana' };
    const bg = fakeBackground({
      'patient.lookup': () => ok(matched),
      'patient.view': () => ok(view({ messages: [inbound('m0', 'Hello'), secure] })),
      'secure.resendLink': () => ok({ via: 'sms', to: '+14155550142', sendAfter: null }),
    });
    vi.stubGlobal('confirm', vi.fn(() => true));
    render(<Sidebar reading={reading('Phil Lopez')} initiallyOpen />);
    fireEvent.click(await screen.findByTestId('resend-link'));
    expect((await screen.findByTestId('resend-note')).textContent).toBe('New link: Link sent by SMS to (415) 555-0142.');
    expect(bg.requests.filter((r) => r.type === 'secure.resendLink')).toEqual([{ type: 'secure.resendLink', conversationId: 'c7' }]);
  });

  it('offers no Resend link without a secure message', async () => {
    fakeBackground({ 'patient.lookup': () => ok(matched), 'patient.view': () => ok(view({ messages: [inbound('m0', 'Hello')] })) });
    render(<Sidebar reading={reading('Phil Lopez')} initiallyOpen />);
    await screen.findByText('Hello');
    expect(screen.queryByTestId('resend-link')).toBeNull();
  });

  it("patches the shown patient's history from pushes (statuses only forward) and re-reads nothing; other patients' pushes change nothing", async () => {
    const sent = { ...inbound('m1', 'See you Tuesday'), direction: 'outbound', status: 'queued', sender: 'Dana' };
    const bg = fakeBackground({ 'patient.lookup': () => ok(matched), 'patient.view': () => ok(view({ messages: [sent] })) });
    render(<Sidebar reading={reading('Phil Lopez')} initiallyOpen />);
    await screen.findByText('See you Tuesday');
    const reads = () => bg.requests.filter((r) => r.type === 'patient.view' || r.type === 'patient.history').length;
    expect(reads()).toBe(1);
    const status = (id: string, s: string) => ({ type: 'message' as const, patientId: 'p1', conversationId: 'c1', added: null, changed: { id, status: s, errorCode: null, errorMessage: null, confirmation: null }, optOutChanged: false });
    for (const s of ['sending', 'sent', 'delivered', 'sent']) bg.push(status('m1', s));
    expect(screen.getAllByTestId('message-status').map((s) => s.textContent)).toEqual(['· Delivered']);

    // Another patient's reply, and a status of their message: nothing here changes or is read.
    bg.push({ type: 'message', patientId: 'p2', conversationId: 'c2', added: { ...inbound('x1', 'Not for Phil'), conversationId: 'c2' }, changed: null, optOutChanged: true });
    bg.push({ ...status('x2', 'delivered'), patientId: 'p2', conversationId: 'c2' });
    expect(screen.queryByText('Not for Phil')).toBeNull();
    // The outbox changed (a send went out): only the local outbox is asked, never the server's history.
    bg.push({ type: 'outbox', pending: 0 });
    await waitFor(() => expect(bg.requests.some((r) => r.type === 'outbox.list')).toBe(true));
    expect(reads()).toBe(1);
  });

  it('a reload that answers after the outbox emptied does not bring the sent message back as waiting', async () => {
    const waiting = { idempotencyKey: 'k1', patientId: 'p1', body: 'Offline hello', createdAt: '2026-11-23T15:00:00.000Z', state: 'waiting' as const, error: null };
    let outbox = [waiting];
    let releaseReload: () => void = () => undefined;
    let reloads = 0;
    const bg = fakeBackground({
      'patient.lookup': () => ok(matched),
      // The first read answers at once; the reload on reconnect (resync) answers late, with the
      // outbox as it was when the background read it: the message still waiting.
      'patient.view': () => {
        reloads += 1;
        const answer = ok(view({ outbox: [waiting] }));
        return (reloads === 1 ? answer : new Promise((resolve) => (releaseReload = () => resolve(answer)))) as never;
      },
      'outbox.list': () => ok(outbox),
    });
    render(<Sidebar reading={reading('Phil Lopez')} initiallyOpen />);
    await waitFor(() => expect(screen.getAllByTestId('outbox-item')).toHaveLength(1));
    bg.push({ type: 'resync' });
    await waitFor(() => expect(reloads).toBe(2));
    // The message goes out meanwhile: the outbox push empties the list...
    outbox = [];
    bg.push({ type: 'outbox', pending: 0 });
    await waitFor(() => expect(screen.queryAllByTestId('outbox-item')).toHaveLength(0));
    // ...and the late reload must not show it as waiting again.
    await act(async () => releaseReload());
    await waitFor(() => expect(bg.requests.filter((r) => r.type === 'outbox.list').length).toBeGreaterThanOrEqual(3));
    await waitFor(() => expect(screen.queryAllByTestId('outbox-item')).toHaveLength(0));
  });

  it('different MRN (issue 9, item 16): shows the candidate as not matched, offers link or create, never opens the composer', async () => {
    const other = { ...phil, mrn: 'MRN-0002' };
    const pageMrn = { ...reading('Phil Lopez'), patient: { ...reading('Phil Lopez').patient, mrn: '00311002' } };
    const bg = fakeBackground({
      'patient.lookup': () => ok({ signedIn: true, page: { ...page, mrn: '00311002' }, patient: null, matchedBy: null, differentMrn: other }),
      'patient.linkMrn': () => ok({ signedIn: true, page: { ...page, mrn: '00311002' }, patient: { ...phil, mrn: '00311002' }, matchedBy: 'mrn', differentMrn: null }),
      'patient.view': () => ok(view()),
      'patient.history': () => ok(history()),
    });
    render(<Sidebar reading={pageMrn} initiallyOpen />);
    const warning = await screen.findByTestId('different-mrn');
    expect(warning.textContent).toContain('Different MRN');
    expect(warning.textContent).toContain('MRN-0002');
    expect(warning.textContent).toContain('00311002');
    expect(screen.queryByTestId('matched-patient')).toBeNull();
    expect(screen.queryByTestId('composer-text')).toBeNull();
    expect(bg.requests.some((r) => r.type === 'patient.view')).toBe(false);
    expect(screen.getByTestId('create-patient').textContent).toContain('Another person');
    // A person links them: the record takes the page's MRN and only then is it matched.
    fireEvent.click(screen.getByTestId('link-mrn'));
    await screen.findByTestId('composer-text');
    expect(bg.requests.find((r) => r.type === 'patient.linkMrn')).toMatchObject({ patientId: 'p1', page: { mrn: '00311002' } });
  });

  it('labels delivery statuses as the web inbox does, a canceled text with why it was not sent', async () => {
    const outbound = (id: string, status: string, errorMessage: string | null, errorCode: string | null = null) => ({ ...inbound(id, `text ${id}`), direction: 'outbound', status, errorMessage, errorCode, sender: 'Dana' });
    const messages = [
      outbound('m1', 'delivered', null),
      outbound('m2', 'failed', 'Unknown destination handset', '30005'),
      outbound('m3', 'canceled', 'Not sent: the patient opted out of texts from (415) 555-0100.'),
    ];
    fakeBackground({ 'patient.lookup': () => ok(matched), 'patient.view': () => ok(view({ messages })), 'patient.history': () => ok(history(messages)) });
    render(<Sidebar reading={reading('Phil Lopez')} initiallyOpen />);
    await waitFor(() => expect(screen.getAllByTestId('message-status')).toHaveLength(3));
    const statuses = screen.getAllByTestId('message-status');
    expect(statuses.map((s) => s.textContent)).toEqual([
      '· Delivered',
      '· Failed: Unknown destination handset (error 30005)',
      '· Canceled: Not sent: the patient opted out of texts from (415) 555-0100.',
    ]);
    expect(statuses.map((s) => s.className)).toEqual(['status-ok', 'status-error', 'status-muted']);
  });
});

describe('a different date of birth is not a match (issue 13)', () => {
  it('shows the candidate as not matched and never opens the composer', async () => {
    const bg = fakeBackground({ 'patient.lookup': () => ok({ signedIn: true, page, patient: null, matchedBy: null, differentMrn: null, differentDob: { ...phil, dob: '1972-02-19' } }) });
    render(<Sidebar reading={reading('Phil Lopez')} initiallyOpen />);
    const note = await screen.findByTestId('different-dob');
    expect(note.textContent).toContain('Different date of birth.');
    expect(note.textContent).toContain('Phil Lopez');
    expect(screen.queryByTestId('composer-text')).toBeNull();
    expect(bg.requests.some((r) => r.type === 'patient.view')).toBe(false);
    expect(screen.getByTestId('create-patient').textContent).toContain('Another person');
  });
});

describe('patients on this page (issue 13)', () => {
  const row = (name: string, mrn: string) => ({ name, firstName: name.split(' ')[0]!, lastName: name.split(' ')[1]!, dob: '1985-03-14', mrn, phone: null, email: null });
  const list: PageList = { adapterId: 'generic', rows: [row('Maria Garcia', 'RC-2'), row('Quinn Nobody', 'Q-404'), row('Grace Okafor', 'RC-7'), row('Rosa Delgado', 'RC-8')] };
  const matchedList: ListMatchView = {
    rows: [
      { name: 'Maria Garcia', status: 'matched', patient: { id: 'p2', displayName: 'Maria Garcia' } },
      { name: 'Quinn Nobody', status: 'unmatched', reason: 'no_patient' },
      { name: '<b>Grace</b> Okafor', status: 'unmatched', reason: 'dob_mismatch' },
      { name: 'Rosa Delgado', status: 'matched', patient: { id: 'p8', displayName: 'Rosa Delgado' } },
    ],
    matchedIds: ['p2', 'p8'],
    blastUrl: 'https://ct.example/comms/blasts/new?patients=p2,p8',
  };

  it('offers "Text these N patients" on a list with no single patient; shows matched and unmatched rows with the reason; opens the wizard with the matched ids', async () => {
    const bg = fakeBackground({ 'patients.matchList': () => ok(matchedList) });
    const opened: unknown[][] = [];
    vi.stubGlobal('open', (...args: unknown[]) => opened.push(args));
    const { container } = render(<Sidebar reading={null} list={list} initiallyOpen />);
    expect((await screen.findByTestId('page-list-title')).textContent).toBe('Patients on this page (4)');
    expect(screen.queryByText('No patient on this page.')).toBeNull();
    // Nothing is matched before a person asks.
    expect(bg.requests.some((r) => r.type === 'patients.matchList')).toBe(false);
    expect(screen.getByTestId('text-list').textContent).toBe('Text these 4 patients');
    fireEvent.click(screen.getByTestId('text-list'));
    expect((await screen.findByTestId('page-list-matched')).textContent).toBe('2 of 4 matched to CareText patients.');
    expect(bg.requests.find((r) => r.type === 'patients.matchList')).toEqual({ type: 'patients.matchList', rows: list.rows });
    expect(screen.getAllByTestId('unmatched-row').map((li) => li.textContent)).toEqual(['Quinn Nobody Not in CareText', '<b>Grace</b> Okafor Date of birth differs from CareText’s']);
    expect(container.querySelector('b')).toBeNull();
    expect(screen.getByTestId('open-blast-wizard').textContent).toBe('Open blast wizard (2 patients)');
    fireEvent.click(screen.getByTestId('open-blast-wizard'));
    expect(opened).toEqual([['https://ct.example/comms/blasts/new?patients=p2,p8', '_blank', 'noopener']]);
  });

  it('says so when no row matches, and shows a refusal as an error', async () => {
    fakeBackground({ 'patients.matchList': () => ok({ rows: matchedList.rows.map((r) => ({ name: r.name, status: 'unmatched' as const, reason: 'no_patient' as const })), matchedIds: [], blastUrl: null }) });
    render(<Sidebar reading={null} list={list} initiallyOpen />);
    fireEvent.click(await screen.findByTestId('text-list'));
    expect((await screen.findByTestId('page-list-none')).textContent).toBe('No row on this page matches a CareText patient.');
    expect(screen.queryByTestId('open-blast-wizard')).toBeNull();
    cleanup();
    fakeBackground({ 'patients.matchList': () => ({ ok: false, error: { message: 'Too many patient lookups from this tab in the last minute. Wait a minute, then try again.', reason: 'rate_limited', details: {} } }) });
    render(<Sidebar reading={null} list={list} initiallyOpen />);
    fireEvent.click(await screen.findByTestId('text-list'));
    expect((await screen.findByTestId('page-list-error')).textContent).toContain('Too many patient lookups');
  });

  it('sits above the patient the page also shows', async () => {
    fakeBackground({ 'patient.lookup': () => ok(matched), 'patient.view': () => ok(view()), 'patient.history': () => ok(history()) });
    render(<Sidebar reading={reading('Phil Lopez')} list={list} initiallyOpen />);
    await screen.findByTestId('patient-name');
    expect(screen.getByTestId('page-list-title').textContent).toBe('Patients on this page (4)');
  });
});
