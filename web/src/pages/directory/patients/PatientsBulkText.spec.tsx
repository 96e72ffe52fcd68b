import { TRPCClientError } from '@trpc/client';
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/preact';
import { LocationProvider } from 'preact-iso';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { session } from '../../../lib/session';
import { trpc } from '../../../lib/trpc';
import { PREVIEW_DEBOUNCE_MS } from '../../comms/blasts/BlastWizardPage';
import { BULK_TEXT_MAX } from './BulkTextDialog';
import { PatientsListPage } from './PatientsListPage';

/** Directory → Patients: select patients, Send SMS (Bulk Text, a blast to them), or Open in Blasts. */

const patient = (i: number) => ({ id: `p${i}`, firstName: `First${i}`, lastName: `Last${String(i).padStart(3, '0')}`, dob: null, mrn: null, phone: `+1415555${String(1000 + i)}`, email: null, tags: [] });
const page = (n: number, start = 1, total = n) => ({ patients: Array.from({ length: n }, (_, i) => patient(start + i)), total, page: 1, pageSize: 25, pages: Math.ceil(total / 25) });

vi.mock('../../../lib/trpc', () => ({
  trpc: {
    patients: { list: { query: vi.fn() } },
    numbers: {
      list: {
        query: vi.fn(async () => [
          { id: 'n1', isMine: true, display: '(415) 555-0100', team: { id: 't1', name: 'Front Desk' } },
          { id: 'n2', isMine: true, display: '(415) 555-0200', team: { id: 't2', name: 'Billing' } },
          { id: 'n3', isMine: false, display: '(415) 555-0300', team: { id: 't3', name: 'Not mine' } },
        ]),
      },
    },
    blasts: {
      preview: { query: vi.fn(async () => ({ total: 3, willSend: 2, optedOut: 1, noContactInfo: 0, landline: 0, blocked: 0, notOptedIn: 0, notFound: 0 })) },
      send: { mutate: vi.fn() },
    },
  },
}));

const phiRefusal = () =>
  TRPCClientError.from({
    error: { code: -32600, message: 'This looks like lab or test results.', data: { code: 'PRECONDITION_FAILED', httpStatus: 412, path: 'blasts.send', reason: 'phi', details: { findings: [{ kind: 'lab', text: 'results are positive' }] } } },
  });

async function openList() {
  history.replaceState(null, '', '/directory/patients');
  render(
    <LocationProvider>
      <PatientsListPage />
    </LocationProvider>,
  );
  await screen.findAllByTestId('patient-row');
}
const rowBox = (i: number) => screen.getAllByTestId('patient-select')[i] as HTMLInputElement;
const settlePreview = () =>
  act(async () => {
    await vi.advanceTimersByTimeAsync(PREVIEW_DEBOUNCE_MS + 10);
  });

beforeEach(() => {
  vi.useFakeTimers({ shouldAdvanceTime: true });
  vi.clearAllMocks();
  session.value = { status: 'ready', me: null, org: { myRole: 'member', name: 'Bayview' } as never };
  vi.mocked(trpc.patients.list.query).mockResolvedValue(page(5) as never);
});
afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

describe('Patients: selection', () => {
  it('row checkboxes and select-all on the page drive the selection bar; Clear empties it', async () => {
    await openList();
    expect(screen.queryByTestId('selection-bar')).toBeNull();
    fireEvent.click(rowBox(0));
    fireEvent.click(rowBox(2));
    expect(screen.getByTestId('selection-count').textContent).toBe('2 selected');
    const all = screen.getByTestId('select-page') as HTMLInputElement;
    expect(all.checked).toBe(false);
    expect(all.indeterminate).toBe(true);
    fireEvent.click(all);
    expect(screen.getByTestId('selection-count').textContent).toBe('5 selected');
    expect(screen.getAllByTestId('patient-select').every((b) => (b as HTMLInputElement).checked)).toBe(true);
    fireEvent.click(all);
    expect(screen.queryByTestId('selection-bar')).toBeNull();
    fireEvent.click(rowBox(1));
    fireEvent.click(screen.getByTestId('selection-clear'));
    expect(screen.queryByTestId('selection-bar')).toBeNull();
    expect(rowBox(1).checked).toBe(false);
  });

  it(`beyond ${BULK_TEXT_MAX} patients the bar offers the blast wizard with ?patients= instead of the quick dialog`, async () => {
    vi.mocked(trpc.patients.list.query).mockResolvedValue({ ...page(BULK_TEXT_MAX + 1), pageSize: 200 } as never);
    await openList();
    fireEvent.click(screen.getByTestId('select-page'));
    expect(screen.queryByTestId('bulk-text')).toBeNull();
    const open = screen.getByTestId('bulk-text-open-blasts') as HTMLAnchorElement;
    const ids = new URL(open.href, 'http://x').searchParams.get('patients')!.split(',');
    expect(ids).toHaveLength(BULK_TEXT_MAX + 1);
    expect(ids[0]).toBe('p1');
  });
});

describe('Patients: Bulk Text dialog', () => {
  it('sends one blast to the selected patients from the chosen team, once on a double click, then links to its results', async () => {
    let answer!: (v: unknown) => void;
    vi.mocked(trpc.blasts.send.mutate).mockImplementation(() => new Promise((resolve) => (answer = resolve)) as never);
    await openList();
    fireEvent.click(rowBox(0));
    fireEvent.click(rowBox(1));
    fireEvent.click(rowBox(3));
    fireEvent.click(screen.getByTestId('bulk-text'));
    await screen.findByTestId('bulk-text-team');
    const dialog = screen.getByTestId('bulk-text-dialog');
    // Only the teams I am on.
    expect(within(dialog).getAllByRole('option').map((o) => o.textContent)).toEqual(['Front Desk · (415) 555-0100', 'Billing · (415) 555-0200']);
    fireEvent.change(within(dialog).getByTestId('bulk-text-team'), { target: { value: 't2' } });
    fireEvent.input(within(dialog).getByTestId('blast-body'), { target: { value: 'Hi {{first_name}}, we are closed Friday.' } });
    await settlePreview();
    await waitFor(() => expect(within(dialog).getByTestId('bulk-text-send').textContent).toBe('Send to 2 patients'));
    expect(vi.mocked(trpc.blasts.preview.query).mock.calls.at(-1)![0]).toEqual({ teamId: 't2', patientIds: ['p1', 'p2', 'p4'], marketing: false });
    expect(within(dialog).getByTestId('preview-optedOut').textContent).toBe('Opted out1');
    // Counts on the text as a patient reads it (the token filled in), with the cost for 2.
    expect(within(dialog).getByTestId('blast-counter').textContent).toMatch(/^\d+ characters · 1 segment · GSM-7 · estimated cost \$[\d.]+ for 2 patients$/);
    expect(within(dialog).getByTestId('bulk-text-open-blasts').getAttribute('href')).toBe('/comms/blasts/new?patients=p1,p2,p4');

    fireEvent.click(within(dialog).getByTestId('bulk-text-send'));
    fireEvent.click(within(dialog).getByTestId('bulk-text-send'));
    expect(trpc.blasts.send.mutate).toHaveBeenCalledTimes(1);
    const input = vi.mocked(trpc.blasts.send.mutate).mock.calls[0]![0];
    expect(input).toMatchObject({ teamId: 't2', patientIds: ['p1', 'p2', 'p4'], body: 'Hi {{first_name}}, we are closed Friday.', marketing: false });
    expect(input).not.toHaveProperty('cohortIds');
    expect(input.idempotencyKey.length).toBeGreaterThanOrEqual(8);
    await act(async () => answer({ duplicate: false, blast: { id: 'b9', name: 'Bulk text, Dec 1, 2026', selectedCount: 3 } }));

    expect(screen.queryByTestId('bulk-text-dialog')).toBeNull();
    expect(screen.queryByTestId('selection-bar')).toBeNull();
    const notice = screen.getByTestId('bulk-text-sent');
    expect(notice.textContent).toContain('Bulk text “Bulk text, Dec 1, 2026” is on its way to 3 selected patients');
    expect(within(notice).getByTestId('bulk-text-results').getAttribute('href')).toBe('/comms/blasts/b9');
  });

  it('asks before sending what looks like PHI, then resends with confirmPhi and the same key', async () => {
    vi.mocked(trpc.blasts.send.mutate).mockRejectedValueOnce(phiRefusal()).mockResolvedValueOnce({ duplicate: false, blast: { id: 'b1', name: 'Bulk text', selectedCount: 1 } } as never);
    await openList();
    fireEvent.click(rowBox(0));
    fireEvent.click(screen.getByTestId('bulk-text'));
    await screen.findByTestId('blast-body');
    const dialog = screen.getByTestId('bulk-text-dialog');
    fireEvent.input(within(dialog).getByTestId('blast-body'), { target: { value: 'Your lab results are positive' } });
    await settlePreview();
    fireEvent.click(within(dialog).getByTestId('bulk-text-send'));
    expect((await within(dialog).findByTestId('blast-phi')).textContent).toContain('“results are positive”');
    expect((within(dialog).getByTestId('bulk-text-send') as HTMLButtonElement).disabled).toBe(true);
    fireEvent.click(within(dialog).getByTestId('blast-phi-confirm'));
    await waitFor(() => expect(trpc.blasts.send.mutate).toHaveBeenCalledTimes(2));
    const [first, second] = vi.mocked(trpc.blasts.send.mutate).mock.calls.map((c) => c[0]);
    expect(first).not.toHaveProperty('confirmPhi');
    expect(second).toMatchObject({ confirmPhi: true, idempotencyKey: first!.idempotencyKey, patientIds: ['p1'] });
    await screen.findByTestId('bulk-text-sent');
  });

  it('a refusal is shown in the dialog and keeps the selection', async () => {
    vi.mocked(trpc.blasts.send.mutate).mockRejectedValueOnce(new Error('The team Front Desk has no phone number.'));
    await openList();
    fireEvent.click(rowBox(0));
    fireEvent.click(screen.getByTestId('bulk-text'));
    await screen.findByTestId('blast-body');
    const dialog = screen.getByTestId('bulk-text-dialog');
    fireEvent.input(within(dialog).getByTestId('blast-body'), { target: { value: 'Hello' } });
    await settlePreview();
    fireEvent.click(within(dialog).getByTestId('bulk-text-send'));
    expect((await within(dialog).findByTestId('bulk-text-error')).textContent).toBe('The team Front Desk has no phone number.');
    expect(screen.getByTestId('selection-count').textContent).toBe('1 selected');
  });

  it('without a team number the dialog says what is missing', async () => {
    vi.mocked(trpc.numbers.list.query).mockResolvedValueOnce([] as never);
    await openList();
    fireEvent.click(rowBox(0));
    fireEvent.click(screen.getByTestId('bulk-text'));
    expect((await screen.findByTestId('bulk-text-no-number')).textContent).toContain('not on a team with one');
  });
});
