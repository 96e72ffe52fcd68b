import { TRPCClientError } from '@trpc/client';
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/preact';
import { LocationProvider } from 'preact-iso';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { session } from '../../../lib/session';
import { trpc } from '../../../lib/trpc';
import { BlastWizard, PREVIEW_DEBOUNCE_MS, timingInput } from './BlastWizardPage';

vi.mock('../../../lib/trpc', () => ({
  trpc: {
    blasts: {
      preview: { query: vi.fn(async () => ({ total: 5, willSend: 3, optedOut: 1, noContactInfo: 1, landline: 0, blocked: 0, notOptedIn: 0 })) },
      send: { mutate: vi.fn() },
      sendTest: { mutate: vi.fn() },
    },
    templates: { list: { query: vi.fn(async () => []) } },
  },
}));

const teams = [{ id: 't1', name: 'Front Desk', number: '(415) 555-0100' }];
const cohorts = [{ id: 'c1', name: 'Flu', patientCount: 5 }] as never;
const phiRefusal = () =>
  TRPCClientError.from({
    error: { code: -32600, message: 'This looks like lab or test results.', data: { code: 'PRECONDITION_FAILED', httpStatus: 412, path: 'blasts.send', reason: 'phi', details: { findings: [{ kind: 'lab', text: 'results are positive' }] } } },
  });

async function compose(body: string) {
  render(
    <LocationProvider>
      <BlastWizard teams={teams} cohorts={cohorts} initial={{ name: '', teamId: 't1', cohortIds: ['c1'], body: '', marketing: false }} />
    </LocationProvider>,
  );
  fireEvent.click(screen.getByTestId('blast-next'));
  fireEvent.input(screen.getByTestId('blast-body'), { target: { value: body } });
  await act(async () => {
    await vi.advanceTimersByTimeAsync(PREVIEW_DEBOUNCE_MS + 10);
  });
  await waitFor(() => expect(screen.getByTestId('blast-send').textContent).toBe('Send to 3 patients'));
}

beforeEach(() => {
  vi.useFakeTimers({ shouldAdvanceTime: true });
  vi.clearAllMocks();
  session.value = { status: 'ready', me: null, org: { myRole: 'member', name: 'Bayview' } as never };
});
afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

describe('New Blast: sending', () => {
  it('a double click sends once, with one idempotency key', async () => {
    let answer!: (v: unknown) => void;
    vi.mocked(trpc.blasts.send.mutate).mockImplementation(() => new Promise((resolve) => (answer = resolve)) as never);
    await compose('Hi {{first_name}}');
    fireEvent.click(screen.getByTestId('blast-send'));
    fireEvent.click(screen.getByTestId('blast-send'));
    expect(trpc.blasts.send.mutate).toHaveBeenCalledTimes(1);
    expect((screen.getByTestId('blast-send') as HTMLButtonElement).disabled).toBe(true);
    await act(async () => answer({ duplicate: false, blast: { id: 'b1' } }));
  });

  it('shows what the PHI guard found, and Send anyway resends with confirmPhi and the same key', async () => {
    vi.mocked(trpc.blasts.send.mutate).mockRejectedValueOnce(phiRefusal()).mockResolvedValueOnce({ duplicate: false, blast: { id: 'b1' } } as never);
    await compose('Your lab results are positive');
    fireEvent.click(screen.getByTestId('blast-send'));
    const phi = await screen.findByTestId('blast-phi');
    expect(phi.textContent).toContain('“results are positive”: lab or test results');
    expect((screen.getByTestId('blast-send') as HTMLButtonElement).disabled).toBe(true);
    fireEvent.click(screen.getByTestId('blast-phi-confirm'));
    await waitFor(() => expect(trpc.blasts.send.mutate).toHaveBeenCalledTimes(2));
    const [first, second] = vi.mocked(trpc.blasts.send.mutate).mock.calls.map((c) => c[0]);
    expect(first).not.toHaveProperty('confirmPhi');
    expect(second).toMatchObject({ confirmPhi: true, idempotencyKey: first!.idempotencyKey, teamId: 't1', cohortIds: ['c1'] });
  });
});

describe('New Blast: when', () => {
  it('schedules at a local date and time, spread N per day; the button says Schedule', async () => {
    vi.mocked(trpc.blasts.send.mutate).mockResolvedValue({ duplicate: false, blast: { id: 'b1' } } as never);
    await compose('Hi {{first_name}}');
    fireEvent.click(screen.getByTestId('blast-when-later'));
    fireEvent.input(screen.getByTestId('blast-date'), { target: { value: '2026-12-24' } });
    fireEvent.input(screen.getByTestId('blast-time'), { target: { value: '08:30' } });
    fireEvent.click(screen.getByTestId('blast-spread'));
    fireEvent.input(screen.getByTestId('blast-per-day'), { target: { value: '200' } });
    expect(screen.getByTestId('blast-send').textContent).toBe('Schedule for 3 patients');
    fireEvent.click(screen.getByTestId('blast-send'));
    await waitFor(() => expect(trpc.blasts.send.mutate).toHaveBeenCalledTimes(1));
    expect(vi.mocked(trpc.blasts.send.mutate).mock.calls[0]![0]).toMatchObject({ scheduledAt: '2026-12-24T08:30', perDay: 200 });
  });

  it('sends now without a time; a spread needs a number per day', async () => {
    expect(timingInput({ when: 'now', date: '2026-12-24', time: '08:30', spread: false, perDay: 5 })).toEqual({});
    expect(timingInput({ when: 'now', date: '', time: '', spread: true, perDay: 0 })).toEqual({ error: 'Enter how many messages to send a day (1 or more).' });
    expect(timingInput({ when: 'later', date: '', time: '08:30', spread: false, perDay: 5 })).toEqual({ error: 'Choose the date and time to send it.' });
    vi.mocked(trpc.blasts.send.mutate).mockResolvedValue({ duplicate: false, blast: { id: 'b1' } } as never);
    await compose('Hi');
    fireEvent.click(screen.getByTestId('blast-spread'));
    fireEvent.input(screen.getByTestId('blast-per-day'), { target: { value: '0' } });
    fireEvent.click(screen.getByTestId('blast-send'));
    expect((await screen.findByTestId('blast-send-error')).textContent).toBe('Enter how many messages to send a day (1 or more).');
    expect(trpc.blasts.send.mutate).not.toHaveBeenCalled();
  });
});

describe('New Blast: Send Test to Me', () => {
  it('texts the rendered message to the caller and says to whom; a refusal is shown as it is', async () => {
    vi.mocked(trpc.blasts.sendTest.mutate)
      .mockResolvedValueOnce({ sent: true, to: '+14155550123', body: 'Hi Ann', samplePatient: { id: 'p1', firstName: 'Ann', lastName: 'Avery' }, carrierSid: 'SM1' } as never)
      .mockRejectedValueOnce(new Error('Add your mobile number to your account first (Settings → Account), then send yourself a test.'));
    await compose('Hi {{first_name}}');
    fireEvent.click(screen.getByTestId('blast-test'));
    await waitFor(() => expect(screen.getByTestId('blast-test-result').textContent).toBe('Test sent to (415) 555-0123 (as Ann Avery would read it).'));
    expect(vi.mocked(trpc.blasts.sendTest.mutate).mock.calls[0]![0]).toEqual({ teamId: 't1', cohortIds: ['c1'], marketing: false, body: 'Hi {{first_name}}' });
    fireEvent.click(screen.getByTestId('blast-test'));
    await waitFor(() => expect(screen.getByTestId('blast-test-result').textContent).toContain('Add your mobile number'));
    expect(trpc.blasts.send.mutate).not.toHaveBeenCalled();
  });
});
