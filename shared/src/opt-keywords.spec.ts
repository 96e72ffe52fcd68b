import { describe, expect, it } from 'vitest';
import { HELP_KEYWORDS, optKeyword, RESERVED_REPLY_WORDS, START_KEYWORDS, STOP_KEYWORDS } from './opt-keywords.js';
import { orgRepliesSchema } from './schemas.js';

describe('optKeyword', () => {
  it.each(['stop', 'STOP', 'Stop', ' Stop. ', 'STOP!', '"stop"', '\nstop\n', 'stop!!!', '...Stop?', 'STOP 🛑', 'ＳＴＯＰ'])(
    '%j is STOP',
    (body) => {
      expect(optKeyword(body)).toBe('STOP');
    },
  );

  it('maps every keyword in each list, in any case', () => {
    for (const k of STOP_KEYWORDS) expect(optKeyword(k.toLowerCase())).toBe('STOP');
    for (const k of START_KEYWORDS) expect(optKeyword(` ${k.toLowerCase()}.`)).toBe('START');
    for (const k of HELP_KEYWORDS) expect(optKeyword(`${k}?`)).toBe('HELP');
  });

  it('has the Twilio default keyword lists', () => {
    expect([...STOP_KEYWORDS].sort()).toEqual(['CANCEL', 'END', 'OPTOUT', 'QUIT', 'REVOKE', 'STOP', 'STOPALL', 'UNSUBSCRIBE']);
    expect([...START_KEYWORDS].sort()).toEqual(['START', 'UNSTOP', 'YES']);
    expect([...HELP_KEYWORDS].sort()).toEqual(['HELP', 'INFO']);
  });

  it.each([
    'STOP please',
    'please stop',
    'stop texting me',
    'yes I will be there',
    'I need help',
    "can't END",
    'opt out',
    'opt-out',
    'stops',
    'S T O P',
    'STOP2',
    'no',
    'hello',
    '',
    '   ',
    '?!',
  ])('%j is not a keyword', (body) => {
    expect(optKeyword(body)).toBeNull();
  });
});

describe('words kept for opt-out and help', () => {
  const replies = (confirmKeywords: string[]) => orgRepliesSchema.safeParse({ helpReply: null, contactPhone: null, confirmKeywords, declineKeywords: ['N'] });

  it('are every carrier keyword but YES, and the policy form refuses them as confirm words', () => {
    expect([...RESERVED_REPLY_WORDS].sort()).toEqual([...STOP_KEYWORDS, ...HELP_KEYWORDS, 'START', 'UNSTOP'].sort());
    for (const word of RESERVED_REPLY_WORDS) expect(replies([word.toLowerCase()]).success, word).toBe(false);
    expect(replies(['YES', 'C']).success).toBe(true);
  });
});
