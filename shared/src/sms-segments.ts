/**
 * SMS segment counter following Twilio's rules, as implemented by Twilio's own
 * reference calculator (npm `sms-segments-calculator`, which the tests cross-check).
 * Written by hand rather than imported because that package is CommonJS and pulls in
 * the unmaintained `grapheme-splitter`; this module ships to the web app, the patient
 * portal and the extension, and the built-in Intl.Segmenter does the same job.
 */

export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SmsSegmentInfo {
  encoding: SmsEncoding;
  /** Billable segments; 0 for empty text. */
  segments: number;
  /** User-visible characters (grapheme clusters; CR LF counts as 2, as Twilio counts it). */
  characters: number;
  /** GSM-7 septets or UCS-2 16-bit units the text needs. */
  unitsUsed: number;
  /** Capacity of one segment at the current size: 160/153 (GSM-7) or 70/67 (UCS-2). */
  perSegment: number;
  /** Units still free in the last segment before another segment is needed. */
  remainingInSegment: number;
}

/** GSM 03.38 basic table: one septet each. */
const GSM_BASIC = new Set(
  '\n\r !"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz' +
    '¡£¤¥§¿ÄÅÆÉÑÖØÜßàäåæÇèéìñòöøùüΓΔΘΛΞΠΣΦΨΩ',
);
/** Extension table: escape septet + char, so two septets each. */
const GSM_EXTENSION = new Set('\f[\\]^{|}~€');

export const GSM7_SINGLE = 160;
export const GSM7_MULTIPART = 153;
export const UCS2_SINGLE = 70;
export const UCS2_MULTIPART = 67;

const segmenter = typeof Intl.Segmenter === 'function' ? new Intl.Segmenter('en', { granularity: 'grapheme' }) : null;

/** ASCII only: no ASCII character combines with another (CR LF is split below anyway). */
const ASCII = /^[\x00-\x7f]*$/;

function graphemes(text: string): string[] {
  // Most texts are plain ASCII: each character is its own grapheme, without the segmenter's
  // cost (a 44,000-patient blast counts segments once per rendered message).
  if (ASCII.test(text)) return text.split('');
  // Without Intl.Segmenter (very old browsers) fall back to code points, which still
  // keeps surrogate pairs whole.
  const parts = segmenter ? Array.from(segmenter.segment(text), (s) => s.segment) : Array.from(text);
  // Twilio's calculator treats CR LF as two characters, not one grapheme.
  return parts.flatMap((g) => (g === '\r\n' ? ['\r', '\n'] : [g]));
}

const isGsm = (g: string) => g.length === 1 && (GSM_BASIC.has(g) || GSM_EXTENSION.has(g));

export function smsSegments(text: string): SmsSegmentInfo {
  const chars = graphemes(text);
  const encoding: SmsEncoding = chars.every(isGsm) ? 'GSM-7' : 'UCS-2';
  // UCS-2 cost is UTF-16 code units, so an emoji (surrogate pair) costs 2 and a ZWJ
  // sequence costs all of its units.
  const costs = chars.map((g) => (encoding === 'UCS-2' ? g.length : GSM_EXTENSION.has(g) ? 2 : 1));
  const unitsUsed = costs.reduce((a, b) => a + b, 0);
  const single = encoding === 'GSM-7' ? GSM7_SINGLE : UCS2_SINGLE;
  const multi = encoding === 'GSM-7' ? GSM7_MULTIPART : UCS2_MULTIPART;
  const base = { encoding, characters: chars.length, unitsUsed };

  if (unitsUsed <= single) {
    return { ...base, segments: unitsUsed === 0 ? 0 : 1, perSegment: single, remainingInSegment: single - unitsUsed };
  }
  // Multipart: a character never straddles two segments (an escape pair or a
  // surrogate pair/grapheme moves whole to the next one), so a plain division by
  // 153/67 can undercount. Pack greedily like Twilio does.
  let segments = 1;
  let used = 0;
  for (const cost of costs) {
    if (used > 0 && used + cost > multi) {
      segments += 1;
      used = 0;
    }
    used += cost;
  }
  return { ...base, segments, perSegment: multi, remainingInSegment: Math.max(0, multi - used) };
}
