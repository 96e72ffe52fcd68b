import { describe, expect, it } from 'vitest';
import { confirmationReply } from './opt-keywords.js';
import { describePhi, detectPhi } from './phi-guard.js';

describe('PHI guard', () => {
  it.each([
    ['Your lab results came back positive, please call us', 'lab'],
    ['Your A1C levels are elevated', 'lab'],
    ['Dr. Kim confirmed the diagnosis of diabetes', 'diagnosis'],
    ['Take metformin 500 mg twice a day', 'medication'],
    ['Please confirm your DOB 03/14/1985', 'dob'],
    ['Your MRN is 12345', 'mrn'],
  ])('flags %j as %s', (text, kind) => {
    expect(detectPhi(text).map((f) => f.kind)).toContain(kind);
  });

  it.each([
    'Reminder: your appointment is tomorrow at 9:30 AM at Sunrise Family Clinic.',
    'We are closed Monday for the holiday.',
    'Reply C to confirm or N to cancel.',
    'Parking is behind the building, enter from Oak St.',
  ])('lets a plain reminder through: %j', (text) => {
    expect(detectPhi(text)).toEqual([]);
  });

  it('explains what it found', () => {
    expect(describePhi(detectPhi('Lab results are normal. DOB 1985-03-14'))).toBe(
      'This text looks like it contains lab or test results and a date of birth. Plain SMS must not carry PHI: send it as Secure Chat instead.',
    );
  });
});

describe('confirmation replies', () => {
  it.each([['C', 'confirmed'], ['yes!', 'confirmed'], [' y ', 'confirmed'], ['N', 'declined'], ['no.', 'declined'], ['yes please', null], ['STOP', null]])('%j -> %s', (body, expected) => {
    expect(confirmationReply(body)).toBe(expected);
  });
});
