import { render } from '@testing-library/preact';
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { RowResults, TestResults } from './EhrAdaptersTab';
import { testAdapter, testAdapterRows } from './testAdapter';

afterEach(() => {
  delete (globalThis as { pwned?: boolean }).pwned;
});

describe('TestResults', () => {
  it('shows markup found on the pasted page as text, never as elements', async () => {
    // The page's text itself contains markup (escaped in the source): it must stay text.
    const html = `<div class="name">&lt;img src=x onerror="globalThis.pwned = true"&gt;</div><img src=x onerror="globalThis.pwned = true">`;
    const { container, getByTestId } = render(<TestResults results={testAdapter(html, { name: '.name', mrn: '#none', phone: 'p[[' })} />);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(container.querySelector('img')).toBeNull();
    expect(getByTestId('adapter-test-name').textContent).toContain('<img src=x onerror="globalThis.pwned = true">');
    expect(getByTestId('adapter-test-mrn').textContent).toContain('Not found');
    expect(getByTestId('adapter-test-phone').textContent).toContain('Invalid selector');
    expect((globalThis as { pwned?: boolean }).pwned).toBeUndefined();
  });
});

describe('RowResults: the patient list an adapter’s row selectors find (issue 13)', () => {
  const schedule = readFileSync(path.resolve(__dirname, '../../../../../test/fixtures/ehr/schedule.html'), 'utf8');
  const rows = { row: '#day-schedule tbody tr', fields: { name: 'td:nth-child(2)', dob: 'td:nth-child(3)', mrn: 'td:nth-child(4)', phone: 'td:nth-child(5)' } };

  it('reads the schedule fixture as the extension does: eight rows, names, DOBs and MRNs', () => {
    const result = testAdapterRows(schedule, rows);
    expect('rows' in result && result.rows.map((r) => [r.name, r.dob, r.mrn])).toEqual([
      ['Lopez, Phil', '1972-02-09', 'RC-1001'],
      ['Garcia, Maria', '1985-03-14', 'RC-1002'],
      ['Chen, Wei', '1990-11-30', 'RC-1003'],
      ['Nobody, Quinn', '1995-05-05', 'Q-404'],
      ['Okafor, Ben', '1968-11-02', 'RC-1005'],
      ['Whitfield, Dana', '1996-02-29', 'RC-1006'],
      ['Okafor, Grace', '1971-07-04', 'RC-1007'],
      ['Delgado, Rosa', '1985-03-14', 'RC-1008'],
    ]);
    const { getByTestId, getAllByTestId } = render(<RowResults result={result} />);
    expect(getByTestId('adapter-test-rows-count').textContent).toBe('Patient list: 8 rows found');
    expect(getAllByTestId('adapter-test-row')[3]!.textContent).toBe('Nobody, Quinn1995-05-05Q-404(415) 555-0299');
  });

  it('says when the row selector is invalid, and counts rows that identify no one apart', () => {
    const { getByTestId } = render(<RowResults result={testAdapterRows(schedule, { ...rows, row: 'tr[[' })} />);
    expect(getByTestId('adapter-test-rows-invalid').textContent).toContain('Invalid row selector');
    const visitOnly = testAdapterRows(schedule, { row: '#day-schedule tbody tr', fields: { name: 'td:nth-child(2)' } });
    expect(visitOnly).toEqual({ rows: [], skipped: 8 });
  });
});
