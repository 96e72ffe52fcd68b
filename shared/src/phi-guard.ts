/**
 * A plain SMS must not carry protected health information. This flags text that looks like it
 * does, so the composer can warn and offer Secure Chat instead. It is a guard rail, not a
 * classifier: it errs towards warning, and staff can still send after confirming.
 */
export type PhiFinding = { kind: 'lab' | 'diagnosis' | 'medication' | 'dob' | 'mrn' | 'clinical'; text: string };

const RULES: { kind: PhiFinding['kind']; pattern: RegExp }[] = [
  { kind: 'lab', pattern: /\b(lab|labs|test|blood ?work|biopsy|pathology|screening|culture|panel|a1c|hba1c|cholesterol|ldl|hdl|glucose|psa|pap|mammogram|x-?ray|mri|ct scan|ultrasound)\b[^.!?\n]{0,40}\b(results?|came back|positive|negative|abnormal|normal|elevated|high|low|levels?)\b/i },
  { kind: 'lab', pattern: /\b(results?)\b[^.!?\n]{0,30}\b(positive|negative|abnormal|elevated)\b/i },
  { kind: 'lab', pattern: /\b(tested|tests?) (positive|negative)\b/i },
  { kind: 'diagnosis', pattern: /\b(diagnos(is|ed|es)|prognosis|cancer|tumou?r|malignan\w*|hiv|aids|hepatitis|diabetes|diabetic|std|sti|chlamydia|gonorrh\w*|syphilis|herpes|pregnan\w*|miscarriage|depression|bipolar|schizophreni\w*|dementia|alzheimer\w*|covid[- ]?19 positive|opioid use|substance use|overdose)\b/i },
  { kind: 'medication', pattern: /\b\d+(\.\d+)? ?(mg|mcg|ml|units?)\b/i },
  { kind: 'medication', pattern: /\b(prescription|prescribed|refill|dosage|dose|metformin|insulin|lisinopril|atorvastatin|sertraline|oxycodone|hydrocodone|adderall|xanax|alprazolam|warfarin|prednisone|amoxicillin|methadone|suboxone|buprenorphine)\b/i },
  { kind: 'dob', pattern: /\b(dob|date of birth|born on)\b/i },
  { kind: 'dob', pattern: /\b(0?[1-9]|1[0-2])[/-](0?[1-9]|[12]\d|3[01])[/-](19|20)\d{2}\b/ },
  { kind: 'dob', pattern: /\b(19|20)\d{2}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])\b/ },
  { kind: 'mrn', pattern: /\b(mrn|medical record( number| #)?|chart (number|#))\b/i },
  { kind: 'clinical', pattern: /\b(symptoms?|treatment plan|chemo\w*|radiation therapy|dialysis|surgery results?|your (condition|infection))\b/i },
];

export const PHI_KIND_LABEL: Record<PhiFinding['kind'], string> = {
  lab: 'lab or test results',
  diagnosis: 'a diagnosis or condition',
  medication: 'medication or dosage',
  dob: 'a date of birth',
  mrn: 'a medical record number',
  clinical: 'clinical details',
};

export function detectPhi(text: string): PhiFinding[] {
  const findings: PhiFinding[] = [];
  for (const rule of RULES) {
    const match = rule.pattern.exec(text);
    if (match && !findings.some((f) => f.kind === rule.kind)) findings.push({ kind: rule.kind, text: match[0] });
  }
  return findings;
}

/** "This text looks like it contains lab or test results and a date of birth." */
export function describePhi(findings: PhiFinding[]): string {
  const kinds = findings.map((f) => PHI_KIND_LABEL[f.kind]);
  const list = kinds.length > 1 ? `${kinds.slice(0, -1).join(', ')} and ${kinds[kinds.length - 1]}` : kinds[0];
  return `This text looks like it contains ${list}. Plain SMS must not carry PHI: send it as Secure Chat instead.`;
}
