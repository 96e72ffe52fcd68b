import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/preact';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Answer, Push, Request } from '../protocol';
import type { BlastPreviewView, BlastProgressView, BlastSetupView } from '../views';
import { BLAST_POLL } from './BlastPanel';
import { Sidebar } from './Sidebar';

/** The background as the sidebar sees it: answers per request type (default: signed in to Riverside). */
function fakeBackground(answers: Partial<Record<Request['type'], (r: Request) => Answer<unknown>>>) {
  const requests: Request[] = [];
  const listeners: ((p: Push) => void)[] = [];
  vi.stubGlobal('chrome', {
    runtime: {
      id: 'test',
      sendMessage: vi.fn(async (r: Request) => {
        requests.push(r);
        const session = { signedIn: true, serverUrl: 'https://ct.example', email: 'a@b.c', user: null, org: { id: 'o1', name: 'Riverside' }, orgs: [], online: true, pendingOutbox: 0, ehrOrigins: [] };
        return answers[r.type]?.(r) ?? (r.type === 'session.get' ? ok(session) : ok(null));
      }),
      connect: () => ({ onMessage: { addListener: (fn: (p: Push) => void) => listeners.push(fn) }, onDisconnect: { addListener: () => undefined }, disconnect: () => undefined }),
    },
  });
  return { requests, of: <T extends Request['type']>(type: T) => requests.filter((r): r is Extract<Request, { type: T }> => r.type === type) };
}

const ok = <T,>(value: T): Answer<T> => ({ ok: true, value });
const refusal = (message: string, reason: string | null = null, details: Record<string, unknown> = {}): Answer<never> => ({ ok: false, error: { message, reason, details } });

const setup: BlastSetupView = {
  teams: [
    { id: 't1', name: 'Front Desk', number: '(415) 555-0100' },
    { id: 't2', name: 'Billing', number: '(415) 555-0199' },
  ],
  cohorts: [
    { id: 'c1', name: 'Diabetics', patientCount: 5 },
    { id: 'c2', name: 'Flu shot due', patientCount: 12 },
  ],
  templates: [
    { id: 'tp1', name: 'Reminder', body: 'Hi {{first_name}}, your appointment at {{org_name}} is soon.', team: null },
    { id: 'tp2', name: 'Billing only', body: 'Your bill is ready.', team: 't2' },
  ],
  orgName: 'Riverside',
  webUrl: 'https://ct.example',
};
const preview: BlastPreviewView = { total: 5, willSend: 3, optedOut: 1, noContactInfo: 0, landline: 1, blocked: 0, notOptedIn: 0, notFound: 0 };
const progress = (status: string, sent: number, failed: number, queued: number): BlastProgressView => ({
  id: 'b1',
  name: 'Diabetics, Dec 1, 2026',
  status,
  stats: { total: 5, sent, failed, skipped: 2, queued, canceled: 0, awaitingReport: 0 },
  resultsUrl: 'https://ct.example/comms/blasts/b1',
});

const text = (id: string) => screen.getByTestId(id).textContent;

async function openBlast() {
  render(<Sidebar reading={null} initiallyOpen />);
  fireEvent.click(await screen.findByTestId('blast-entry'));
  await waitFor(() => expect(screen.queryByTestId('blast-loading')).toBeNull());
}
const openWizard = async () => {
  await openBlast();
  return screen.getByTestId('blast-wizard');
};

beforeEach(() => {
  vi.unstubAllGlobals();
  BLAST_POLL.ms = 10;
  BLAST_POLL.debounceMs = 0;
});
afterEach(cleanup);

describe('a blast from the sidebar (issue 13, "Launching from the EHR")', () => {
  it('pick a cohort → the preview counts → Send Test to Me → a double click sends once → progress until completed → Open results', async () => {
    let reads = 0;
    const bg = fakeBackground({
      'blast.setup': () => ok(setup),
      'blast.preview': () => ok(preview),
      'blast.sendTest': () => ok({ to: '+14155550111', toDisplay: '(415) 555-0111', samplePatient: 'Maria Garcia' }),
      'blast.send': () => ok({ duplicate: false, blast: progress('sending', 0, 0, 3) }),
      'blast.progress': () => ok(++reads < 2 ? progress('sending', 1, 0, 2) : progress('completed', 2, 1, 0)),
    });
    const opened: unknown[][] = [];
    vi.stubGlobal('open', (...args: unknown[]) => opened.push(args));
    await openWizard();
    // Only the teams of my numbers; the cohorts with their size; nothing counted before a cohort is picked.
    expect([...(screen.getByTestId('blast-team') as HTMLSelectElement).options].map((o) => o.textContent)).toEqual(['Front Desk · (415) 555-0100', 'Billing · (415) 555-0199']);
    expect(screen.getAllByTestId('blast-cohort').map((c) => c.parentElement!.textContent)).toEqual(['Diabetics (5 patients)', 'Flu shot due (12 patients)']);
    expect(bg.of('blast.preview')).toHaveLength(0);
    expect((screen.getByTestId('blast-send') as HTMLButtonElement).disabled).toBe(true);

    fireEvent.click(screen.getAllByTestId('blast-cohort')[0]!);
    await waitFor(() => expect(text('preview-willSend')).toBe('Will send3'));
    expect(bg.of('blast.preview').at(-1)).toEqual({ type: 'blast.preview', teamId: 't1', cohortIds: ['c1'] });
    expect(['optedOut', 'noContactInfo', 'landline', 'blocked'].map((k) => text(`preview-${k}`))).toEqual(['Opted out1', 'No contact info0', 'Landline1', 'Blocked0']);

    // A template for this team (not Billing's), counted as the sample patient reads it, with the cost for 3.
    const templates = screen.getByTestId('blast-template') as HTMLSelectElement;
    expect([...templates.options].map((o) => o.textContent)).toEqual(['Templates…', 'Reminder']);
    fireEvent.change(templates, { target: { value: 'tp1' } });
    expect((screen.getByTestId('blast-body') as HTMLTextAreaElement).value).toBe('Hi {{first_name}}, your appointment at {{org_name}} is soon.');
    expect(text('blast-sample')).toBe('A sample patient reads: Hi Maria, your appointment at Riverside is soon.');
    expect(text('blast-counter')).toMatch(/^48 characters · 1 segment · GSM-7 · about \$\S+ for 3 patients$/);

    fireEvent.click(screen.getByTestId('blast-test'));
    expect((await screen.findByTestId('blast-test-result')).textContent).toBe('Test sent to (415) 555-0111 (as Maria Garcia would read it).');
    expect(bg.of('blast.sendTest')).toEqual([{ type: 'blast.sendTest', teamId: 't1', cohortIds: ['c1'], body: 'Hi {{first_name}}, your appointment at {{org_name}} is soon.' }]);

    const send = screen.getByTestId('blast-send');
    expect(send.textContent).toBe('Send to 3 patients');
    fireEvent.click(send);
    fireEvent.click(send);
    await screen.findByTestId('blast-progress');
    expect(bg.of('blast.send')).toHaveLength(1);
    expect(bg.of('blast.send')[0]).toMatchObject({ teamId: 't1', cohortIds: ['c1'], body: 'Hi {{first_name}}, your appointment at {{org_name}} is soon.', idempotencyKey: expect.stringMatching(/.{8,}/) });
    expect(bg.of('blast.send')[0]).not.toHaveProperty('confirmPhi');

    // Followed until every message has left: Total / Sent / Failed / Skipped and the status.
    await waitFor(() => expect(text('blast-status')).toBe('Completed'));
    expect(['total', 'sent', 'failed', 'skipped'].map((k) => text(`blast-stat-${k}`))).toEqual(['5Total', '2Sent', '1Failed', '2Skipped']);
    const polls = bg.of('blast.progress').length;
    expect(bg.of('blast.progress')[0]).toEqual({ type: 'blast.progress', blastId: 'b1' });
    await new Promise((r) => setTimeout(r, 50));
    expect(bg.of('blast.progress')).toHaveLength(polls); // a completed blast is not read again

    fireEvent.click(screen.getByTestId('blast-open-results'));
    expect(opened).toEqual([['https://ct.example/comms/blasts/b1', '_blank', 'noopener']]);
  });

  it('PHI: shows what was found; Send anyway sends the same blast (same key) with confirmPhi; an edit after it is a new blast', async () => {
    const findings = [{ kind: 'diagnosis', text: 'diabetes' }];
    const bg = fakeBackground({
      'blast.setup': () => ok(setup),
      'blast.preview': () => ok(preview),
      'blast.send': (r) => (r.type === 'blast.send' && r.confirmPhi ? ok({ duplicate: false, blast: progress('sending', 0, 0, 3) }) : refusal('This text looks like it contains a diagnosis or condition.', 'phi', { findings })),
    });
    await openWizard();
    fireEvent.click(screen.getAllByTestId('blast-cohort')[0]!);
    fireEvent.input(screen.getByTestId('blast-body'), { target: { value: 'Your diabetes check is due' } });
    await waitFor(() => expect((screen.getByTestId('blast-send') as HTMLButtonElement).disabled).toBe(false));
    fireEvent.click(screen.getByTestId('blast-send'));
    const phi = await screen.findByTestId('blast-phi');
    expect(phi.textContent).toContain('a diagnosis or condition');
    expect(phi.textContent).toContain('“diabetes”: ');
    expect((screen.getByTestId('blast-send') as HTMLButtonElement).disabled).toBe(true);

    // Edit message: the next send is another blast (a new key).
    fireEvent.click(screen.getByTestId('blast-phi-edit'));
    fireEvent.input(screen.getByTestId('blast-body'), { target: { value: 'Your diabetes check is due soon' } });
    fireEvent.click(screen.getByTestId('blast-send'));
    await screen.findByTestId('blast-phi');
    fireEvent.click(screen.getByTestId('blast-phi-confirm'));
    await screen.findByTestId('blast-progress');
    const [first, second, third] = bg.of('blast.send');
    expect(second!.idempotencyKey).not.toBe(first!.idempotencyKey);
    expect(third).toMatchObject({ idempotencyKey: second!.idempotencyKey, confirmPhi: true, body: 'Your diabetes check is due soon' });
  });

  it('shows the server’s refusal as it says it (a member not on the number’s team), and sends nothing else', async () => {
    const bg = fakeBackground({
      'blast.setup': () => ok(setup),
      'blast.preview': () => ok(preview),
      'blast.send': () => refusal('You are not a member of the team Billing.'),
    });
    await openWizard();
    fireEvent.change(screen.getByTestId('blast-team'), { target: { value: 't2' } });
    fireEvent.click(screen.getAllByTestId('blast-cohort')[1]!);
    fireEvent.input(screen.getByTestId('blast-body'), { target: { value: 'Flu shots are in.' } });
    await waitFor(() => expect((screen.getByTestId('blast-send') as HTMLButtonElement).disabled).toBe(false));
    fireEvent.click(screen.getByTestId('blast-send'));
    expect((await screen.findByTestId('blast-send-error')).textContent).toBe('You are not a member of the team Billing.');
    expect(bg.of('blast.send')).toEqual([expect.objectContaining({ teamId: 't2', cohortIds: ['c2'] })]);
    expect(screen.queryByTestId('blast-progress')).toBeNull();
  });

  it('no cohorts: links to creating one in the web app; no number: says who can fix it; signed out: no Blast entry', async () => {
    fakeBackground({ 'blast.setup': () => ok({ ...setup, cohorts: [] }) });
    await openBlast();
    const link = screen.getByTestId('blast-create-cohort') as HTMLAnchorElement;
    expect(link.href).toBe('https://ct.example/comms/cohorts/new');
    expect(link.target).toBe('_blank');
    expect(link.rel).toContain('noopener');
    cleanup();

    fakeBackground({ 'blast.setup': () => ok({ ...setup, teams: [] }) });
    await openBlast();
    expect(text('blast-no-team')).toContain('Directory → Phone numbers');
    fireEvent.click(screen.getByTestId('blast-close'));
    expect(screen.queryByTestId('blast-panel')).toBeNull();
    cleanup();

    const bg = fakeBackground({ 'session.get': () => ok({ signedIn: false, serverUrl: 'https://ct.example', email: null, user: null, org: null, orgs: [], online: true, pendingOutbox: 0, ehrOrigins: [] }) });
    render(<Sidebar reading={null} initiallyOpen />);
    await screen.findByTestId('signed-out');
    await act(() => new Promise((r) => setTimeout(r, 20)));
    expect(bg.of('session.get')).toHaveLength(1);
    expect(screen.queryByTestId('blast-entry')).toBeNull();
  });
});
