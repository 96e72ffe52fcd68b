import { describe, expect, it } from 'vitest';
import { EHR_FIELD_LABELS, EHR_FIELD_MAX_LENGTH, EHR_PATIENT_FIELDS } from './ehr-fields.js';

describe('the EHR patient fields', () => {
  it('has a label, an example selector and a length limit for every field, and nothing else', () => {
    expect(Object.keys(EHR_FIELD_LABELS)).toEqual([...EHR_PATIENT_FIELDS]);
    expect(Object.keys(EHR_FIELD_MAX_LENGTH)).toEqual([...EHR_PATIENT_FIELDS]);
    for (const f of EHR_PATIENT_FIELDS) expect(EHR_FIELD_LABELS[f].label && EHR_FIELD_LABELS[f].example, f).toBeTruthy();
  });
});
