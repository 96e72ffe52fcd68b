import { analyzeHeader, checkPatientRow } from '@caretext/shared';
import { describe, expect, it } from 'vitest';
import { templateCsv, templateHref } from './template';

describe('the template CSV', () => {
  const lines = templateCsv().trim().split('\r\n');

  it('has the exact lowercase header the import recognizes, with nothing unrecognized', () => {
    const header = analyzeHeader(lines[0]!.split(','));
    expect(lines[0]).toBe('phone,mrn,first_name,last_name,dob,email');
    expect(header.unrecognized).toEqual([]);
    expect(header.errors).toEqual([]);
  });

  it('has example rows that import without a single issue', () => {
    const header = analyzeHeader(lines[0]!.split(','));
    for (const line of lines.slice(1)) expect(checkPatientRow(line.split(','), header).issues).toEqual([]);
  });

  it('downloads as that same text', () => {
    expect(decodeURIComponent(templateHref().replace('data:text/csv;charset=utf-8,', ''))).toBe(templateCsv());
  });
});
