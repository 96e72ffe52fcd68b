/** Twilio's default opt-out/opt-in/help keywords (what the carrier itself acts on). */
export const STOP_KEYWORDS = ['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'OPTOUT', 'REVOKE'] as const;
export const START_KEYWORDS = ['START', 'YES', 'UNSTOP'] as const;
export const HELP_KEYWORDS = ['HELP', 'INFO'] as const;

export type OptKeyword = 'STOP' | 'START' | 'HELP';

const LOOKUP = new Map<string, OptKeyword>([
  ...STOP_KEYWORDS.map((k) => [k, 'STOP'] as const),
  ...START_KEYWORDS.map((k) => [k, 'START'] as const),
  ...HELP_KEYWORDS.map((k) => [k, 'HELP'] as const),
]);

/** Anything that is not a letter or digit at either end: spaces, punctuation, emoji. */
const EDGES = /^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu;

/**
 * The keyword a reply consists of, or null. Only a single-word reply counts
 * ("Stop!" does, "stop texting me" does not), as with Twilio, so a patient
 * writing "I can't END my prescription" is not unsubscribed.
 */
export function optKeyword(body: string): OptKeyword | null {
  // NFKC folds full-width letters (ＳＴＯＰ) from some phone keyboards.
  const word = body.normalize('NFKC').replace(EDGES, '').toUpperCase();
  return LOOKUP.get(word) ?? null;
}

/**
 * Words an organization may not use to confirm or decline: the carrier acts on them first. YES
 * is the exception: it opts back in only someone who opted out, and is a default confirm word
 * (the inbound service reads it as an answer while a request is open).
 */
export const RESERVED_REPLY_WORDS: readonly string[] = [...STOP_KEYWORDS, ...START_KEYWORDS.filter((k) => k !== 'YES'), ...HELP_KEYWORDS];

/** Replies that answer a confirmation request ("Reply C to confirm or N to decline"). */
export const CONFIRM_KEYWORDS = ['C', 'YES', 'Y', 'CONFIRM', 'CONFIRMED'] as const;
export const DECLINE_KEYWORDS = ['N', 'NO', 'DECLINE'] as const;

/** `words`: the organization's own lists (Settings → Policies); the defaults otherwise. */
export function confirmationReply(
  body: string,
  words: { confirm: readonly string[]; decline: readonly string[] } = { confirm: CONFIRM_KEYWORDS, decline: DECLINE_KEYWORDS },
): 'confirmed' | 'declined' | null {
  const word = body.trim().replace(/^[\s\p{P}]+|[\s\p{P}]+$/gu, '').toUpperCase();
  if (words.confirm.includes(word)) return 'confirmed';
  if (words.decline.includes(word)) return 'declined';
  return null;
}
