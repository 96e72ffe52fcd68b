import { cleanup, render, screen, waitFor } from '@testing-library/preact';
import { LocationProvider, Route, Router } from 'preact-iso';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { importProgress } from '../../../lib/live';
import { trpc } from '../../../lib/trpc';
import { ImportJobPage } from './ImportJobPage';
import type { ImportJob } from './status';

vi.mock('../../../lib/trpc', () => ({ trpc: { imports: { get: { query: vi.fn() }, cancel: { mutate: vi.fn() }, issues: { query: vi.fn() } } } }));
const get = vi.mocked(trpc.imports.get.query);

const report = {
  header: { columns: ['phone'], unrecognized: [], duplicates: [], errors: [] },
  dryRun: { created: 2000, updated: 0, unchanged: 0, rejected: 0, total: 2000, warnings: 0 },
  previousImport: null,
};

function job(patch: Partial<ImportJob>): ImportJob {
  return {
    id: 'job-1',
    fileName: 'patients.csv',
    fileSize: 50_000,
    status: 'running',
    totalRows: 2000,
    processedRows: 0,
    applied: { created: 0, updated: 0, unchanged: 0, rejected: 0 },
    report,
    error: null,
    createdBy: 'Dana Reyes',
    createdAt: new Date('2026-04-22T09:00:00Z'),
    confirmedAt: new Date('2026-04-22T09:01:00Z'),
    finishedAt: null,
    previousImport: null,
    ...patch,
  } as ImportJob;
}

function openImport() {
  history.replaceState(null, '', '/directory/patients/import/job-1');
  render(
    <LocationProvider>
      <Router>
        <Route path="/directory/patients/import/:jobId" component={ImportJobPage} />
        <Route default component={() => <p>Elsewhere</p>} />
      </Router>
    </LocationProvider>,
  );
}

const progress = () => screen.getByTestId('import-progress').getAttribute('aria-valuenow');

beforeEach(() => {
  get.mockReset();
  importProgress.value = null;
});
afterEach(cleanup);

describe('An import, opened from its address', () => {
  it('picks up a running import after a reload and follows it to the summary', async () => {
    get
      .mockResolvedValueOnce(job({ processedRows: 0 }))
      .mockResolvedValueOnce(job({ processedRows: 1000, applied: { created: 1000, updated: 0, unchanged: 0, rejected: 0 } }))
      .mockResolvedValue(job({ status: 'completed', processedRows: 2000, applied: { created: 2000, updated: 0, unchanged: 0, rejected: 0 }, finishedAt: new Date() }));
    openImport();

    await screen.findByTestId('import-running');
    expect(progress()).toBe('0');
    await waitFor(() => expect(progress()).toBe('50'), { timeout: 3000 });
    expect(screen.getByTestId('import-progress-text').textContent).toBe('1,000 of 2,000 rows50%');
    await screen.findByTestId('import-complete', {}, { timeout: 3000 });
    expect(progress()).toBe('100');
    expect(screen.getByTestId('applied-created').textContent).toBe('2,000');
  });

  describe('between polls (the once-a-second poll held back)', () => {
    // Only setTimeout is faked (the page's poll comes only when the test moves the clock a second
    // on); testing-library's own waiting runs.
    beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] }));
    afterEach(() => vi.useRealTimers());

    it('moves the progress with each live event, without asking the server again for every batch', async () => {
      get.mockResolvedValue(job({ processedRows: 0 }));
      openImport();
      await screen.findByTestId('import-running');
      importProgress.value = { jobId: 'job-1', status: 'running', processedRows: 1000, totalRows: 2000 };
      await waitFor(() => expect(progress()).toBe('50'));
      importProgress.value = { jobId: 'job-1', status: 'running', processedRows: 1500, totalRows: 2000 };
      await waitFor(() => expect(progress()).toBe('75'));
      // Another job's progress is not this one's.
      importProgress.value = { jobId: 'job-2', status: 'running', processedRows: 2000, totalRows: 2000 };
      expect(get).toHaveBeenCalledTimes(1);
      expect(progress()).toBe('75');
    });

    it('reads the job again at once when an event says its status changed, the bar never going back meanwhile', async () => {
      let answer: (value: ImportJob) => void = () => {};
      get.mockResolvedValueOnce(job({ processedRows: 0 })).mockReturnValue(new Promise<ImportJob>((resolve) => (answer = resolve)) as ReturnType<typeof get>);
      openImport();
      await screen.findByTestId('import-running');
      importProgress.value = { jobId: 'job-1', status: 'running', processedRows: 1500, totalRows: 2000 };
      await waitFor(() => expect(progress()).toBe('75'));
      importProgress.value = { jobId: 'job-1', status: 'completed', processedRows: 2000, totalRows: 2000 };
      // Preact runs effects after a frame (a 100 ms timer without one): far from the poll's second.
      await vi.advanceTimersByTimeAsync(200);
      expect(get).toHaveBeenCalledTimes(2);
      // Asked, not answered yet: still the last progress of the run, not the last read's 0.
      expect(progress()).toBe('75');
      answer(job({ status: 'completed', processedRows: 2000, applied: { created: 2000, updated: 0, unchanged: 0, rejected: 0 }, finishedAt: new Date() }));
      await screen.findByTestId('import-complete');
      expect(screen.getByTestId('applied-created').textContent).toBe('2,000');
    });
  });

  it('says what was applied when an import failed part-way', async () => {
    get.mockResolvedValue(
      job({ status: 'failed', processedRows: 1000, applied: { created: 990, updated: 10, unchanged: 0, rejected: 0 }, error: 'Stopped after 1000 of 2000 rows (those were applied): disk full' }),
    );
    openImport();
    const failed = await screen.findByTestId('import-failed');
    expect(failed.textContent).toContain('1,000 of 2,000 rows were applied before it stopped: 990 created, 10 updated.');
    expect(screen.getByTestId('import-error').textContent).toContain('disk full');
  });
});
