import { describe, expect, it } from 'vitest';
import { countsSentence, patientsToImport, percentDone } from './status';

describe('import progress', () => {
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
