import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/preact';
import { LocationProvider, Route, Router } from 'preact-iso';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { trpc } from '../../../lib/trpc';
import { BLAST_POLL_MS, BlastDetailPage, DELIVERY_REPORT_WINDOW_MS } from './BlastDetailPage';

vi.mock('../../../lib/trpc', () => ({
  trpc: {
    blasts: {
      get: { query: vi.fn() },
      recipients: { query: vi.fn() },
      retryFailed: { mutate: vi.fn() },
      cancel: { mutate: vi.fn() },
      images: { query: vi.fn() },
    },
  },
}));

const stats = (over: Partial<Record<string, number>> = {}) => ({ total: 10, sent: 0, skipped: 1, optedOut: 1, blocked: 0, replied: 0, failed: 0, queued: 9, ...over });
const blast = (status: string, s = stats()) => ({ id: 'b1', teamId: 't1', phoneNumberId: 'n1', name: 'Flu', body: 'Hi {{first_name}}', cohortIds: ['c1'], marketing: false, status, createdById: 'u1', createdAt: new Date(), sentAt: new Date(), completedAt: null, stats: s });
const ann = { id: 'r1', patientId: 'p1', firstName: 'Ann', lastName: 'Avery', phone: '+14155550141', skipReason: null, messageId: 'm1', messageStatus: 'undelivered', errorCode: '30003', errorMessage: 'Unreachable', sentAt: new Date(), deliveredAt: null, failedAt: new Date(), status: 'failed', repliedAt: null };

function renderAt() {
  history.replaceState(null, '', '/b1');
  render(
    <LocationProvider>
      <Router>
        <Route path="/:blastId" component={BlastDetailPage} />
        <Route default component={() => <p>Elsewhere</p>} />
      </Router>
    </LocationProvider>,
  );
}
const tick = (ms: number) =>
  act(async () => {
    await vi.advanceTimersByTimeAsync(ms);
  });

beforeEach(() => {
  vi.useFakeTimers({ shouldAdvanceTime: true });
  vi.clearAllMocks();
});
afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

describe('Blast detail', () => {
  it("shows an MMS blast's images through the links minted for the reader (none asked for an SMS blast)", async () => {
    vi.mocked(trpc.blasts.get.query).mockResolvedValue({ ...blast('completed', stats({ queued: 0, sent: 9 })), imageIds: ['i1', 'i2'] } as never);
    vi.mocked(trpc.blasts.recipients.query).mockResolvedValue({ recipients: [], stats: stats({ queued: 0, sent: 9 }) } as never);
    const image = (id: string, fileName: string) => ({ id, fileName, contentType: 'image/png', size: 10, url: `https://app.test/api/blast-images/${id}?exp=1&v=u.u1&sig=x` });
    vi.mocked(trpc.blasts.images.query).mockResolvedValue([image('i1', 'flyer.png'), image('i2', 'map.png')] as never);
    renderAt();
    await waitFor(() => expect(screen.getAllByRole('img').map((i) => [i.getAttribute('alt'), i.getAttribute('src')])).toEqual([
      ['flyer.png', 'https://app.test/api/blast-images/i1?exp=1&v=u.u1&sig=x'],
      ['map.png', 'https://app.test/api/blast-images/i2?exp=1&v=u.u1&sig=x'],
    ]));
    expect(trpc.blasts.images.query).toHaveBeenCalledWith({ imageIds: ['i1', 'i2'] });
    cleanup();

    vi.mocked(trpc.blasts.get.query).mockResolvedValue({ ...blast('completed'), imageIds: [] } as never);
    vi.mocked(trpc.blasts.images.query).mockClear();
    renderAt();
    await waitFor(() => expect(screen.getByTestId('blast-body-text')).toBeTruthy());
    expect(screen.queryByTestId('blast-detail-images')).toBeNull();
    expect(trpc.blasts.images.query).not.toHaveBeenCalled();
  });

  it('reads a sending blast again every few seconds and stops once it is completed', async () => {
    const done = stats({ sent: 5, failed: 4, queued: 0 });
    vi.mocked(trpc.blasts.get.query).mockResolvedValueOnce(blast('sending') as never).mockResolvedValue(blast('completed', done) as never);
    vi.mocked(trpc.blasts.recipients.query).mockResolvedValueOnce({ recipients: [], stats: stats() } as never).mockResolvedValue({ recipients: [ann], stats: done } as never);
    renderAt();
    await waitFor(() => expect(screen.getByTestId('blast-detail-status').textContent).toBe('Sending'));
    expect(screen.queryByTestId('blast-low-delivery')).toBeNull();
    await tick(BLAST_POLL_MS);
    await waitFor(() => expect(screen.getByTestId('blast-detail-status').textContent).toBe('Completed'));
    expect(screen.getByTestId('stat-sent').textContent).toBe('Sent5');
    // 5 of the 9 it tried to send: the low delivery banner, with the rate.
    expect(screen.getByTestId('blast-low-delivery').textContent).toContain('Only 55.5% of messages were sent successfully (5 of 9)');
    const calls = vi.mocked(trpc.blasts.get.query).mock.calls.length;
    await tick(BLAST_POLL_MS * 3);
    expect(vi.mocked(trpc.blasts.get.query).mock.calls.length).toBe(calls);
  });

  it('a completed blast is read again while the carrier owes delivery reports, so a late "undelivered" moves Sent to Failed', async () => {
    const accepted = stats({ sent: 2, failed: 0, queued: 0, awaitingReport: 1 });
    const reported = stats({ sent: 1, failed: 1, queued: 0, awaitingReport: 0 });
    const completed = (s: ReturnType<typeof stats>) => ({ ...blast('completed', s), completedAt: new Date() });
    vi.mocked(trpc.blasts.get.query).mockResolvedValueOnce(completed(accepted) as never).mockResolvedValue(completed(reported) as never);
    vi.mocked(trpc.blasts.recipients.query).mockResolvedValueOnce({ recipients: [], stats: accepted } as never).mockResolvedValue({ recipients: [ann], stats: reported } as never);
    renderAt();
    await waitFor(() => expect(screen.getByTestId('stat-sent').textContent).toBe('Sent2'));
    expect(screen.getByTestId('blast-awaiting-report').textContent).toContain('waiting for 1 delivery report');
    await tick(BLAST_POLL_MS);
    await waitFor(() => expect(screen.getByTestId('stat-failed').textContent).toBe('Failed1'));
    expect(screen.getByTestId('stat-sent').textContent).toBe('Sent1');
    expect(screen.queryByTestId('blast-awaiting-report')).toBeNull();
    // Every report is in: no more reads.
    const calls = vi.mocked(trpc.blasts.get.query).mock.calls.length;
    await tick(BLAST_POLL_MS * 3);
    expect(vi.mocked(trpc.blasts.get.query).mock.calls.length).toBe(calls);
  });

  it('a blast that completed long ago is not read again, even with reports the carrier never sent', async () => {
    const old = stats({ sent: 2, queued: 0, awaitingReport: 2 });
    vi.mocked(trpc.blasts.get.query).mockResolvedValue({ ...blast('completed', old), completedAt: new Date(Date.now() - DELIVERY_REPORT_WINDOW_MS - 1000) } as never);
    vi.mocked(trpc.blasts.recipients.query).mockResolvedValue({ recipients: [], stats: old } as never);
    renderAt();
    await waitFor(() => expect(screen.getByTestId('stat-sent').textContent).toBe('Sent2'));
    expect(screen.queryByTestId('blast-awaiting-report')).toBeNull();
    const calls = vi.mocked(trpc.blasts.get.query).mock.calls.length;
    await tick(BLAST_POLL_MS * 3);
    expect(vi.mocked(trpc.blasts.get.query).mock.calls.length).toBe(calls);
  });

  it('a stat card filters the recipient table; Retry Failed is offered when something failed', async () => {
    const s = stats({ sent: 5, failed: 4, queued: 0 });
    vi.mocked(trpc.blasts.get.query).mockResolvedValue(blast('completed', s) as never);
    vi.mocked(trpc.blasts.recipients.query).mockResolvedValue({ recipients: [ann], stats: s } as never);
    renderAt();
    await screen.findByTestId('recipients-table');
    fireEvent.click(screen.getByTestId('stat-failed'));
    await waitFor(() => expect(vi.mocked(trpc.blasts.recipients.query).mock.calls.at(-1)![0]).toMatchObject({ blastId: 'b1', status: 'failed', offset: 0 }));
    expect(screen.getByTestId('recipient-status').textContent).toBe('Failed (undelivered)');
    expect((screen.getByTestId('blast-retry') as HTMLButtonElement).disabled).toBe(false);
    fireEvent.click(screen.getByTestId('stat-total'));
    await waitFor(() => expect(vi.mocked(trpc.blasts.recipients.query).mock.calls.at(-1)![0]).toMatchObject({ status: undefined }));
  });
});

describe('Blast detail: cancel', () => {
  it('a scheduled blast: Cancel Blast asks first, then cancels; Retry Failed and Add Recipients wait for the start', async () => {
    vi.mocked(trpc.blasts.get.query).mockResolvedValue({ ...blast('scheduled'), scheduledAt: new Date('2026-12-24T14:30:00Z'), perDay: null, canceledAt: null } as never);
    vi.mocked(trpc.blasts.recipients.query).mockResolvedValue({ recipients: [], stats: stats({ queued: 9 }) } as never);
    vi.mocked(trpc.blasts.cancel.mutate).mockResolvedValue({ canceled: 9, inFlight: 0, blast: {} } as never);
    renderAt();
    await screen.findByTestId('blast-scheduled-at');
    expect((screen.getByTestId('blast-retry') as HTMLButtonElement).disabled).toBe(true);
    expect((screen.getByTestId('blast-add') as HTMLButtonElement).disabled).toBe(true);
    fireEvent.click(screen.getByTestId('blast-cancel'));
    expect(trpc.blasts.cancel.mutate).not.toHaveBeenCalled();
    fireEvent.click(screen.getByTestId('blast-cancel-confirm'));
    await waitFor(() => expect(trpc.blasts.cancel.mutate).toHaveBeenCalledWith({ blastId: 'b1' }));
  });

  it('a canceled blast shows a Canceled card and no Cancel button', async () => {
    vi.mocked(trpc.blasts.get.query).mockResolvedValue({ ...blast('canceled', stats({ queued: 0, sent: 4, canceled: 5 })), canceledAt: new Date() } as never);
    vi.mocked(trpc.blasts.recipients.query).mockResolvedValue({ recipients: [], stats: stats({ queued: 0, sent: 4, canceled: 5 }) } as never);
    renderAt();
    expect((await screen.findByTestId('stat-canceled')).textContent).toContain('5');
    expect(screen.queryByTestId('blast-cancel')).toBeNull();
  });
});
