import { estimateSmsCost, MMS_IMAGE_MAX_BYTES, MMS_MAX_IMAGES, renderTemplate, smsSegments, type SmsEncoding, TEMPLATE_TOKENS, type TemplateData, type TemplateToken } from '@caretext/shared';

/**
 * The blast composer's decisions, apart from its view: the channels, the `@` token menu, and
 * the counts and cost of the text as a patient will read it.
 */

export type BlastChannel = { id: 'sms' | 'email'; label: string; available: boolean; note: string | null };

/** Email plugs in here when it exists; the wizard lists what is here and sends only what is available. */
export const BLAST_CHANNELS: readonly BlastChannel[] = [
  { id: 'sms', label: 'SMS', available: true, note: null },
  { id: 'email', label: 'Email', available: false, note: 'coming' },
];

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

/** The patient the counts are computed for: the token table's examples (Maria Garcia). */
export function samplePatient(orgName: string): TemplateData {
  return {
    patient: { id: example('patient_id'), firstName: example('first_name'), lastName: example('last_name'), preferredName: example('preferred_name'), dob: '1990-01-15', phone: '+14155552671', email: example('email') },
    org: { name: orgName },
  };
}

export type RenderedSummary = { rendered: string; characters: number; segments: number; encoding: SmsEncoding; cost: string | null; line: string };

/**
 * Counts and cost on the text as the sample patient reads it (tokens filled in), for `recipients`
 * messages. With images it is MMS: one message per patient whatever the length (segments do not
 * apply), priced per message (about 3x an SMS).
 */
export function renderedSummary(body: string, orgName: string, recipients: number, images = 0): RenderedSummary {
  const rendered = renderTemplate(body.trim(), samplePatient(orgName));
  const info = smsSegments(rendered);
  const s = (n: number, word: string) => `${n.toLocaleString()} ${word}${n === 1 ? '' : 's'}`;
  if (images > 0) {
    const cost = recipients && (info.segments || images) ? estimateSmsCost({ segments: info.segments, recipients, channel: 'mms' }).display : null;
    return { rendered, characters: info.characters, segments: info.segments, encoding: info.encoding, cost, line: `${s(info.characters, 'character')} · MMS with ${s(images, 'image')} · 1 message per patient` };
  }
  const cost = info.segments && recipients ? estimateSmsCost({ segments: info.segments, recipients, channel: 'sms' }).display : null;
  return { rendered, characters: info.characters, segments: info.segments, encoding: info.encoding, cost, line: `${s(info.characters, 'character')} · ${s(info.segments, 'segment')} · ${info.encoding}` };
}

/** What an MMS blast may carry, as the server checks it (it reads the type from the bytes). */
const IMAGE_EXTENSIONS = /\.(jpe?g|png|gif)$/i;
const IMAGE_MIME = /^image\/(jpeg|png|gif)$/;

/**
 * The images picked in the file dialog, split into those to upload and one sentence per refused
 * file (wrong type, 1 MB or more, past the third image). The server checks them again.
 */
export function checkBlastImages(picked: { name: string; size: number; type: string }[], already: number): { accepted: number[]; errors: string[] } {
  const accepted: number[] = [];
  const errors: string[] = [];
  picked.forEach((f, i) => {
    if (!(IMAGE_MIME.test(f.type) || (!f.type && IMAGE_EXTENSIONS.test(f.name)))) errors.push(`${f.name}: only JPG, PNG or GIF images can be sent by MMS.`);
    else if (f.size > MMS_IMAGE_MAX_BYTES) errors.push(`${f.name}: images must each be under 1 MB.`);
    else if (already + accepted.length >= MMS_MAX_IMAGES) errors.push(`${f.name}: at most ${MMS_MAX_IMAGES} images per blast.`);
    else accepted.push(i);
  });
  return { accepted, errors };
}

type Stats = { total: number; sent: number; skipped: number; failed: number; queued: number };

/** Sent out of those the blast tried to send to (skipped ones were never attempted), or null before any was. */
export function deliveryRate(stats: Stats): number | null {
  const attempted = stats.total - stats.skipped;
  return attempted > 0 ? stats.sent / attempted : null;
}

/** The low delivery banner: a finished blast that sent fewer than 90% of its messages. */
export function lowDelivery(status: string, stats: Stats): string | null {
  const rate = deliveryRate(stats);
  if (status !== 'completed' || rate === null || rate >= 0.9) return null;
  return `Only ${Math.floor(rate * 1000) / 10}% of messages were sent successfully (${stats.sent} of ${stats.total - stats.skipped}). Review the failed messages below; Retry Failed sends them again.`;
}
