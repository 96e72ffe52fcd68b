import { afterEach, describe, expect, it, vi } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { normalizePhone } from '@caretext/shared';
import cases from '../../../../../test/fixtures/ehr/adapter-cases.json';
import { testAdapter } from './testAdapter';

const PAGE = `
  <div class="banner">
    <h2 class="name">  Dana
      Reyes </h2>
    <span id="dob">03/14/1985</span>
    <span class="phone">(415) 555-2671</span>
    <span class="email">dana@example.com</span>
  </div>`;

afterEach(() => {
  vi.restoreAllMocks();
  delete (globalThis as { pwned?: boolean }).pwned;
});

describe('testAdapter', () => {
  it('finds each field and normalizes phone and date of birth', () => {
    const results = testAdapter(PAGE, { name: '.banner .name', dob: '#dob', phone: '.phone', email: '.email', mrn: null });
    const by = Object.fromEntries(results.map((r) => [r.field, r]));
    expect(by.name).toEqual({ field: 'name', status: 'found', raw: expect.any(String), value: 'Dana Reyes' });
    expect(by.dob).toMatchObject({ status: 'found', raw: '03/14/1985', value: '1985-03-14' });
    expect(by.phone).toMatchObject({ status: 'found', raw: '(415) 555-2671', value: '(415) 555-2671' });
    expect(by.email).toMatchObject({ status: 'found', value: 'dana@example.com' });
    expect(by.mrn).toEqual({ field: 'mrn', status: 'skipped' });
  });

  it('says why a found value does not normalize', () => {
    const [, , , dob] = testAdapter('<p id="dob">2999-01-01</p>', { dob: '#dob' });
    expect(dob).toMatchObject({ field: 'dob', status: 'invalid-value', error: expect.stringContaining('future') });
  });

  it('reports a selector that matches nothing (or only whitespace) as not found', () => {
    const results = testAdapter(PAGE + '<span class="mrn">   </span>', { firstName: '#first', mrn: '.mrn' });
    expect(results.find((r) => r.field === 'firstName')).toEqual({ field: 'firstName', status: 'not-found' });
    expect(results.find((r) => r.field === 'mrn')).toEqual({ field: 'mrn', status: 'not-found' });
  });

  it('reports an invalid selector instead of throwing', () => {
    const results = testAdapter(PAGE, { lastName: 'div[[', phone: '.phone' });
    expect(results.find((r) => r.field === 'lastName')).toMatchObject({ status: 'invalid-selector', error: expect.any(String) });
    expect(results.find((r) => r.field === 'phone')).toMatchObject({ status: 'found' });
  });

  it('never runs or renders markup from the pasted page: results are plain text', async () => {
    const html = `<div class="name">Eve<img src=x onerror="globalThis.pwned = true"><script>globalThis.pwned = true</script></div>`;
    const results = testAdapter(html, { name: '.name' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((globalThis as { pwned?: boolean }).pwned).toBeUndefined();
    const name = results.find((r) => r.field === 'name');
    // The script's text is part of textContent: it shows up as text, it never runs.
    expect(name).toMatchObject({ status: 'found', value: 'EveglobalThis.pwned = true' });
    for (const r of results) for (const v of Object.values(r)) expect(typeof v).toBe('string');
    expect(document.querySelector('img')).toBeNull();
  });
});

// The same table is read by the extension's test (extension/src/ehr/adapter-cases.spec.ts).
describe('testAdapter on the EHR fixtures reads what the extension reads', () => {
  it.each(cases.cases)('$fixture', ({ fixture, selectors, expected }) => {
    const html = readFileSync(path.resolve(__dirname, '../../../../../test/fixtures/ehr', fixture), 'utf8');
    const results = testAdapter(html, selectors);
    const got = Object.fromEntries(
      Object.keys(expected).map((field) => {
        const r = results.find((x) => x.field === field)!;
        const value = r.status === 'found' ? r.value : `${r.status}: ${'error' in r ? r.error : ''}`;
        return [field, field === 'phone' && r.status === 'found' ? normalizePhone(value) : value];
      }),
    );
    expect(got).toEqual(expected);
  });
});
