import { estimateSmsCost } from './sms-cost.js';
import { smsSegments, type SmsEncoding } from './sms-segments.js';
import { renderTemplateWith, TEMPLATE_TOKENS, type TemplateData, type TemplateToken } from './template.js';

/**
 * The blast composer's pure decisions (the `@` token menu, the counts and cost of the text as a
 * patient will read it), for the extension sidebar's blast wizard. The web wizard has the same
 * functions in web/src/pages/comms/blasts/blast-compose.ts (same rules, same sample patient);
 * it can import these instead.
 */

/** The "@first" being typed just before the cursor: where it starts and what follows the @. */
export function tokenQuery(text: string, cursor: number): { start: number; query: string } | null {
  const before = text.slice(0, cursor);
  const match = /(^|\s)@([\p{L} ]{0,20})$/u.exec(before);
  if (!match) return null;
  const query = match[2]!;
  // "@first name" may contain a space, but not end a word and go on with another sentence.
  if (query.includes(' ') && !tokenMatches(query).length) return null;
  return { start: cursor - query.length - 1, query };
}

/** Tokens whose label or key starts with (or has a word starting with) what follows the @. */
export function tokenMatches(query: string): TemplateToken[] {
  const q = query.trim().toLowerCase();
  if (!q) return [...TEMPLATE_TOKENS];
  return TEMPLATE_TOKENS.filter((t) => {
    const words = [t.label.toLowerCase(), ...t.label.toLowerCase().split(/\s+/), t.key, ...t.key.split('_')];
    return words.some((w) => w.startsWith(q));
  });
}

/** Replaces the "@query" before the cursor by the token; returns the text and the new cursor. */
export function applyToken(text: string, at: { start: number; cursor: number }, token: string): { text: string; cursor: number } {
  const after = text.slice(at.cursor);
  const spaced = after && !/^[\s.,!?;:]/.test(after) ? `${token} ` : token;
  return { text: text.slice(0, at.start) + spaced + after, cursor: at.start + spaced.length };
}

const example = (key: string) => TEMPLATE_TOKENS.find((t) => t.key === key)!.example;

const SAMPLE_PHONE = '+14155552671';
/** formatPhoneForDisplay(SAMPLE_PHONE), written out: the sidebar carries no phone metadata (the spec checks they agree). */
const SAMPLE_PHONE_DISPLAY = '(415) 555-2671';

/** The patient the counts are computed for: the token table's examples (Maria Garcia). */
export function samplePatient(orgName: string): TemplateData {
  return {
    patient: { id: example('patient_id'), firstName: example('first_name'), lastName: example('last_name'), preferredName: example('preferred_name'), dob: '1990-01-15', phone: SAMPLE_PHONE, email: example('email') },
    org: { name: orgName },
  };
}

/** The text as the sample patient reads it (tokens filled in). */
export function renderSample(text: string, orgName: string): string {
  return renderTemplateWith(text, samplePatient(orgName), (e164) => (e164 === SAMPLE_PHONE ? SAMPLE_PHONE_DISPLAY : e164));
}

export type RenderedSummary = { rendered: string; characters: number; segments: number; encoding: SmsEncoding; cost: string | null; line: string };

/** Counts and cost on the text as the sample patient reads it (tokens filled in), for `recipients` messages. */
export function renderedSummary(body: string, orgName: string, recipients: number): RenderedSummary {
  const rendered = renderSample(body.trim(), orgName);
  const info = smsSegments(rendered);
  const cost = info.segments && recipients ? estimateSmsCost({ segments: info.segments, recipients, channel: 'sms' }).display : null;
  const s = (n: number, word: string) => `${n.toLocaleString()} ${word}${n === 1 ? '' : 's'}`;
  return { rendered, characters: info.characters, segments: info.segments, encoding: info.encoding, cost, line: `${s(info.characters, 'character')} · ${s(info.segments, 'segment')} · ${info.encoding}` };
}

/** A blast's status as the web app labels it. */
export const BLAST_STATUS_LABELS: Record<string, string> = { draft: 'Draft', scheduled: 'Scheduled', sending: 'Sending', completed: 'Completed', canceled: 'Canceled' };
