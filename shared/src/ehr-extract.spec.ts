import { describe, expect, it } from 'vitest';
import { contextFrom, fieldValue } from './ehr-extract.js';

// The DOM side (inputs, selectors) is tested on the EHR fixtures by the extension and the web
// app (test/fixtures/ehr/adapter-cases.json); this is the text side, the same for both.
describe('fieldValue: a field from the text around it', () => {
  it.each([
    ['phone', '(415) 555-0188 (cell)', '(415) 555-0188'],
    ['phone', 'tel:+1 415 555 0100', '+1 415 555 0100'],
    ['dob', 'DOB: Mar 14, 1985 (41 y)', '1985-03-14'],
    ['dob', 'not on file', null],
    ['mrn', 'MRN: F-2044', 'F-2044'],
    ['email', 'Email: Rosa.Delgado@Example.com (home)', 'rosa.delgado@example.com'],
    ['name', 'Rosa Delgado (she/her)', 'Rosa Delgado'],
    ['firstName', 'N/A', null],
  ] as const)('%s of %j is %j', (field, raw, value) => {
    expect(fieldValue(field, raw)).toBe(value);
  });

  it('fills the name both ways', () => {
    expect(contextFrom({ name: 'Delgado, Rosa M.' })).toMatchObject({ firstName: 'Rosa', lastName: 'Delgado' });
    expect(contextFrom({ firstName: 'Rosa', lastName: 'Delgado' }).name).toBe('Rosa Delgado');
  });
});
