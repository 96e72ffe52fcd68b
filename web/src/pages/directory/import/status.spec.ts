import { describe, expect, it } from 'vitest';
import { countsSentence, patientsToImport, percentDone, withLiveProgress } from './status';

describe('import progress', () => {
  it('takes the rows done from a live event of the same job in the same status, when further along', () => {
    const job = { id: 'job-1', status: 'running', processedRows: 2000 };
    const event = (patch: object) => ({ jobId: 'job-1', status: 'running', processedRows: 3000, totalRows: 5000, ...patch });
    expect(withLiveProgress(job, event({}))).toEqual({ ...job, processedRows: 3000 });
    expect(withLiveProgress(job, null)).toBe(job);
    expect(withLiveProgress(job, event({ jobId: 'job-2' }))).toBe(job);
    // The dry run's rows checked are not the apply's rows written.
    expect(withLiveProgress(job, event({ status: 'analyzing' }))).toBe(job);
    // An event older than what was read does not move it back.
    expect(withLiveProgress(job, event({ processedRows: 1000 }))).toBe(job);
  });

  it('shows 100% only when every row is done', () => {
    expect(percentDone(0, 205)).toBe(0);
    expect(percentDone(204, 205)).toBe(99);
    expect(percentDone(205, 205)).toBe(100);
    expect(percentDone(0, 0)).toBe(0);
  });

  it('counts the patients an import will write: created plus updated', () => {
    const report = { header: { columns: [], unrecognized: [], duplicates: [], errors: [] }, dryRun: { created: 202, updated: 1, unchanged: 3, rejected: 2, total: 208, warnings: 2 }, previousImport: null };
    expect(patientsToImport({ report })).toBe(203);
    expect(patientsToImport({ report: null })).toBe(0);
  });

  it('sums up what was applied, leaving out zeros', () => {
    expect(countsSentence({ created: 202, updated: 1, unchanged: 0, rejected: 2 })).toBe('202 created, 1 updated, 2 rejected');
    expect(countsSentence({ created: 0, updated: 0, unchanged: 0, rejected: 0 })).toBe('nothing changed');
  });
});
