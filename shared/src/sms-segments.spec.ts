import { describe, expect, it } from 'vitest';
import { SegmentedMessage } from 'sms-segments-calculator';
import { smsSegments } from './sms-segments.js';

const a = (n: number) => 'a'.repeat(n);
/** Cyrillic: outside GSM-7, one UTF-16 unit each. */
const zh = (n: number) => 'ж'.repeat(n);

describe('smsSegments: GSM-7', () => {
  it('empty text is 0 segments', () => {
    expect(smsSegments('')).toEqual({
      encoding: 'GSM-7',
      segments: 0,
      characters: 0,
      unitsUsed: 0,
      perSegment: 160,
      remainingInSegment: 160,
    });
  });

  it('160 chars fit one segment, 161 need two of 153', () => {
    expect(smsSegments(a(160))).toMatchObject({ segments: 1, perSegment: 160, remainingInSegment: 0 });
    expect(smsSegments(a(161))).toMatchObject({ segments: 2, perSegment: 153, remainingInSegment: 153 * 2 - 161 });
  });

  it('153*2 fills two segments exactly, one more needs a third', () => {
    expect(smsSegments(a(306))).toMatchObject({ segments: 2, remainingInSegment: 0 });
    expect(smsSegments(a(307))).toMatchObject({ segments: 3, remainingInSegment: 152 });
  });

  it('extension-table characters count two units', () => {
    for (const ch of ['^', '{', '}', '[', ']', '~', '\\', '|', '€', '\f']) {
      expect(smsSegments(ch)).toMatchObject({ encoding: 'GSM-7', characters: 1, unitsUsed: 2 });
    }
    expect(smsSegments('{'.repeat(80))).toMatchObject({ segments: 1, unitsUsed: 160 });
    expect(smsSegments(a(159) + '{')).toMatchObject({ segments: 2, characters: 160, unitsUsed: 161 });
  });

  it('152 plain + "{" still fits a single segment (154 units)', () => {
    expect(smsSegments(a(152) + '{')).toMatchObject({ segments: 1, unitsUsed: 154, remainingInSegment: 6 });
  });

  it('an escape pair is never split across segments in multipart', () => {
    // 306 units would fit 2x153, but "{" cannot start at unit 153 of segment 1,
    // so segment 1 holds 152 units and the rest spills into a third segment.
    const text = a(152) + '{' + a(152);
    expect(smsSegments(text)).toMatchObject({ unitsUsed: 306, segments: 3, remainingInSegment: 152 });
    expect(new SegmentedMessage(text).segmentsCount).toBe(3);
    // Shift by one and the pair lands wholly in segment 2: exactly two segments.
    expect(smsSegments(a(153) + '{' + a(151))).toMatchObject({ segments: 2, remainingInSegment: 0 });
  });

  it('accented letters in the GSM table stay GSM-7; others switch to UCS-2', () => {
    expect(smsSegments('Ça, é, ñ, Ü, £5').encoding).toBe('GSM-7');
    expect(smsSegments('François').encoding).toBe('UCS-2'); // lowercase ç is not in GSM-7
    expect(smsSegments('Don’t forget').encoding).toBe('UCS-2'); // curly apostrophe from phones/Word
  });
});

describe('smsSegments: UCS-2', () => {
  it('70 chars fit one segment, 71 need two of 67', () => {
    expect(smsSegments(zh(70))).toMatchObject({ encoding: 'UCS-2', segments: 1, remainingInSegment: 0 });
    expect(smsSegments(zh(71))).toMatchObject({ segments: 2, perSegment: 67, remainingInSegment: 67 * 2 - 71 });
    expect(smsSegments(zh(134))).toMatchObject({ segments: 2, remainingInSegment: 0 });
    expect(smsSegments(zh(135))).toMatchObject({ segments: 3 });
  });

  it('one non-GSM char makes every char cost a 16-bit unit (extension chars cost 1)', () => {
    expect(smsSegments(a(69) + 'ж')).toMatchObject({ encoding: 'UCS-2', segments: 1, unitsUsed: 70 });
    expect(smsSegments('{ж')).toMatchObject({ unitsUsed: 2 });
  });

  it('emoji outside the BMP take two units but count as one character', () => {
    expect(smsSegments('😀')).toMatchObject({ encoding: 'UCS-2', characters: 1, unitsUsed: 2, segments: 1 });
    expect(smsSegments('😀'.repeat(35))).toMatchObject({ segments: 1, unitsUsed: 70 });
    expect(smsSegments('😀'.repeat(36))).toMatchObject({ segments: 2, unitsUsed: 72 });
  });

  it('a surrogate pair is never split across segments', () => {
    // 134 units would fit 2x67; the emoji at units 67-68 moves to segment 2.
    expect(smsSegments(zh(66) + '😀' + zh(66))).toMatchObject({ unitsUsed: 134, segments: 3 });
  });

  it('multi-codepoint emoji (ZWJ family, flags) are one character of many units', () => {
    expect(smsSegments('👨‍👩‍👧')).toMatchObject({ characters: 1, unitsUsed: 8 });
    expect(smsSegments('🇺🇸')).toMatchObject({ characters: 1, unitsUsed: 4 });
  });

  it('mixed text', () => {
    const r = smsSegments('Hi Maria 👋 your visit is Tue 3pm. Reply C to confirm');
    expect(r).toMatchObject({ encoding: 'UCS-2', characters: 52, unitsUsed: 53, segments: 1, remainingInSegment: 17 });
  });

  it('CR LF counts as two characters, like Twilio', () => {
    expect(smsSegments('a\r\nb')).toMatchObject({ encoding: 'GSM-7', characters: 4, unitsUsed: 4 });
  });
});

describe('smsSegments agrees with Twilio sms-segments-calculator', () => {
  // Deterministic pseudo-random strings around segment boundaries.
  function rng(seed: number) {
    return () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  }
  // Well-formed pieces only: for a stray skin-tone modifier after a letter the two
  // grapheme splitters disagree (Intl.Segmenter follows newer Unicode rules).
  // Every ASCII character with CR LF and tab (the fast path for ASCII text, sms-segments.ts).
  const ascii = `${Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)).join('')}\r\n\t\r`;
  const pools = [ascii, 'abc xyz.,!?', 'abc{}[]~^|\\€', 'abcж', 'abc😀', 'ab{€😀ж\n', 'a👍🏽', 'a👨‍👩‍👧🇺🇸é'];

  it('on the boundary cases', () => {
    const cases = [a(160), a(161), a(306), a(307), a(152) + '{', a(152) + '{' + a(152), a(159) + '{', zh(70), zh(71), zh(134), zh(135), zh(66) + '😀' + zh(66), '😀'.repeat(35), '😀'.repeat(36)];
    for (const text of cases) {
      const twilio = new SegmentedMessage(text);
      expect(smsSegments(text)).toMatchObject({ encoding: twilio.encodingName, segments: twilio.segmentsCount });
    }
  });

  it.each(pools)('pool %j', (pool) => {
    const chars = Array.from(new Intl.Segmenter('en', { granularity: 'grapheme' }).segment(pool), (s) => s.segment);
    const next = rng(pool.length * 7919);
    for (let i = 0; i < 200; i++) {
      const len = 1 + Math.floor(next() * 480);
      let text = '';
      for (let j = 0; j < len; j++) text += chars[Math.floor(next() * chars.length)];
      const ours = smsSegments(text);
      const twilio = new SegmentedMessage(text);
      expect([ours.encoding, ours.segments], text).toEqual([twilio.encodingName, twilio.segmentsCount]);
    }
  });
});
