import { describe, expect, it } from 'vitest';
import { confirmationReply } from './opt-keywords.js';
import { PHI_TEXTS, PLAIN_TEXTS } from './phi-guard.cases.js';
import { describePhi, detectPhi } from './phi-guard.js';

describe('PHI guard', () => {
  it.each([
    ['Your lab results came back positive, please call us', 'lab'],
    ['Your A1C levels are elevated', 'lab'],
    ['Your A1C is 9.2', 'lab'],
    ['Your blood pressure was 150/95', 'vitals'],
    ['Dr. Kim confirmed the diagnosis of diabetes', 'diagnosis'],
    ['Take metformin 500 mg twice a day', 'medication'],
    ['Please confirm your DOB 03/14/1985', 'dob'],
    ['Your MRN is 12345', 'mrn'],
  ])('flags %j as %s', (text, kind) => {
    expect(detectPhi(text).map((f) => f.kind)).toContain(kind);
  });

  it.each(PHI_TEXTS)('flags a result, value, diagnosis or dose: %j', (text) => {
    expect(detectPhi(text)).not.toEqual([]);
  });

  it.each(PLAIN_TEXTS)('lets a reminder, notice, direction or bill through: %j', (text) => {
    expect(detectPhi(text)).toEqual([]);
  });

  it('catches every PHI text of the table and flags no plain one (recall and false positives over the table)', () => {
    const caught = PHI_TEXTS.filter((t) => detectPhi(t).length > 0).length;
    const flagged = PLAIN_TEXTS.filter((t) => detectPhi(t).length > 0).length;
    console.info(`PHI guard over its table: recall ${caught}/${PHI_TEXTS.length}, false positives ${flagged}/${PLAIN_TEXTS.length}`);
    expect([caught, flagged]).toEqual([PHI_TEXTS.length, 0]);
  });

  it('explains what it found', () => {
    expect(describePhi(detectPhi('Lab results are normal. DOB 1985-03-14'))).toBe(
      'This text looks like it contains lab or test results and a date of birth. Plain SMS must not carry PHI: send it as Secure Chat instead.',
    );
    expect(describePhi(detectPhi('Your blood pressure was 150/95'))).toBe(
      'This text looks like it contains vital signs or measurements. Plain SMS must not carry PHI: send it as Secure Chat instead.',
    );
  });
});

describe('confirmation replies', () => {
  it.each([['C', 'confirmed'], ['yes!', 'confirmed'], [' y ', 'confirmed'], ['N', 'declined'], ['no.', 'declined'], ['yes please', null], ['STOP', null]])('%j -> %s', (body, expected) => {
    expect(confirmationReply(body)).toBe(expected);
  });
});
