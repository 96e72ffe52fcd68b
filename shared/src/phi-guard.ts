/**
 * A plain SMS must not carry protected health information. This flags text that looks like it
 * does, so the composer can warn and offer Secure Chat instead. It is a guard rail, not a
 * classifier: it errs towards warning, and staff can still send after confirming.
 */
export type PhiFinding = { kind: 'lab' | 'vitals' | 'diagnosis' | 'medication' | 'dob' | 'mrn' | 'clinical'; text: string };

/** Tests and studies whose outcome is PHI once the text says what it was. */
const TESTS = String.raw`labs?|tests?|blood ?work|biopsy|pathology|screening|culture|swab|panel|stud(y|ies)|a1c|hba1c|cholesterol|ldl|hdl|triglycerides|glucose|psa|pap( smear)?|mammogram|x-?rays?|mri|ct( scan)?|cat scan|ultrasound|sonogram|ekg|ecg|echo(cardiogram)?|colonoscopy|endoscopy|scan|thyroid( levels?)?|kidney function|liver (function|enzymes)|white (blood )?cell count|wbc|hemoglobin|potassium|sugar|blood pressure|bp`;

/** Lab values that are PHI with any number after them ("Your A1C is 9.2"). */
const LAB_VALUES = String.raw`a1c|hba1c|hemoglobin( a1c)?|hgb|glucose|cholesterol|ldl|hdl|triglycerides|potassium|sodium|tsh|inr|psa|e?gfr|creatinine|vitamin d|b12|ferritin|platelets?|wbc|white (blood )?cell count|viral load|cd4|bilirubin`;

/** Measurements taken of the patient: "your" makes them the patient's ("Your blood pressure was 150/95"). */
const VITALS = String.raw`(fasting |morning |resting |average |latest |last )?(blood pressure|bp|heart rate|pulse|oxygen( saturation| level)?|o2( sat\w*)?|temperature|temp|weight|bmi|(blood )?sugar|iron|calcium|magnesium)`;

/**
 * A reading: a number not used as a time, a date, a duration, a price or an address ("at 9",
 * "on 3/14", "in 2 weeks", "$25", "Suite 300" are not results).
 */
const READING = String.raw`(?<!\b(?:at|on|by|before|after|until|in|suite|room|\$)\s?)(?<![$#\d])\d+(?:\.\d+)?(?:\/\d{2,3})?(?![\d/:-]|\s*(?:am|pm|a\.m|p\.m|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?|o'clock)\b)`;

/** Words that say how a result turned out. */
const OUTCOME = String.raw`positive|negative|abnormal|normal(?! (office |business )?hours)|elevated|high|low(?![- ]cost)|off|worse|worsened|worsening|improved|borderline|out of range|inconclusive|concerning|not controlled|uncontrolled`;

/** What a study found. */
const FINDING = String.raw`shows?|showed|found|revealed|detected|grew|indicates?|indicated|suggests?|needs? (a )?follow[- ]?up`;

const DIAGNOSES = String.raw`diagnos(is|ed|es)|prognosis|cancer|tumou?r|malignan\w*|hiv|aids|hepatitis|diabetes|diabetic|std|sti|chlamydia|gonorrh\w*|syphilis|herpes|hpv|pregnan\w*|miscarriage|depression|anxiety disorder|bipolar|schizophreni\w*|dementia|alzheimer\w*|covid[- ]?19 positive|opioid use|substance use|alcohol use disorder|overdose|hypertension|asthma|copd|atrial fibrillation|a-?fib|heart failure|anemi(a|c)|fracture|gallstones?|kidney stones?|polyps?|hypothyroid\w*|hyperthyroid\w*|prediabet\w*|osteoporosis|sleep apnea|ptsd|adhd|eating disorder|seizures?|epilepsy|stroke`;

const DRUGS = String.raw`metformin|insulin|lisinopril|losartan|amlodipine|atorvastatin|simvastatin|levothyroxine|sertraline|fluoxetine|escitalopram|bupropion|gabapentin|oxycodone|hydrocodone|tramadol|adderall|xanax|alprazolam|warfarin|eliquis|prednisone|amoxicillin|azithromycin|doxycycline|macrobid|nitrofurantoin|albuterol|ozempic|semaglutide|methadone|suboxone|buprenorphine|antibiotics?|antidepressants?`;

/** A test named as a place or a schedule ("Lab hours are back to normal"), not a result. */
const NOT_A_RESULT = String.raw`(?!\s+(hours|appointments?|schedule|draw|visit|is (open|closed|located)))`;

const RULES: { kind: PhiFinding['kind']; pattern: RegExp }[] = [
  { kind: 'lab', pattern: new RegExp(String.raw`\b(${LAB_VALUES})\b[^.!?\n\d$]{0,25}?${READING}`, 'i') },
  { kind: 'lab', pattern: new RegExp(String.raw`\b(${TESTS})\b${NOT_A_RESULT}[^.!?\n]{0,40}?\b(${OUTCOME})\b`, 'i') },
  { kind: 'lab', pattern: new RegExp(String.raw`\b(${TESTS})\b${NOT_A_RESULT}[^.!?\n]{0,30}?\b(${FINDING})\b`, 'i') },
  { kind: 'lab', pattern: /\b(results?)\b[^.!?\n]{0,30}\b(positive|negative|abnormal|elevated)\b/i },
  { kind: 'lab', pattern: /\bresults?:\s*[a-z][^.!?\n]{0,20}\d/i },
  { kind: 'vitals', pattern: new RegExp(String.raw`\byour (${VITALS})\b[^.!?\n\d$]{0,25}?${READING}`, 'i') },
  { kind: 'diagnosis', pattern: new RegExp(String.raw`\b(${DIAGNOSES})\b`, 'i') },
  { kind: 'medication', pattern: /\b\d+(\.\d+)? ?(mg|mcg|ml|units?|iu|puffs?|tablets?|capsules?|pills?)\b/i },
  { kind: 'medication', pattern: new RegExp(String.raw`\b(prescribed|dosage|dose|${DRUGS})\b`, 'i') },
  { kind: 'dob', pattern: /\b(dob|date of birth|born on)\b/i },
  { kind: 'dob', pattern: /\b(0?[1-9]|1[0-2])[/-](0?[1-9]|[12]\d|3[01])[/-](19|20)\d{2}\b/ },
  { kind: 'dob', pattern: /\b(19|20)\d{2}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])\b/ },
  { kind: 'mrn', pattern: /\b(mrn|medical record( number| #)?|chart (number|#))\b/i },
  { kind: 'clinical', pattern: /\b(symptoms?|treatment plan|chemo\w*|radiation therapy|dialysis|surgery results?|your (condition|infection))\b/i },
];

export const PHI_KIND_LABEL: Record<PhiFinding['kind'], string> = {
  lab: 'lab or test results',
  vitals: 'vital signs or measurements',
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
