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

/** Replies that answer a confirmation request ("Reply C to confirm or N to decline"). */
export const CONFIRM_KEYWORDS = ['C', 'YES', 'Y', 'CONFIRM', 'CONFIRMED'] as const;
export const DECLINE_KEYWORDS = ['N', 'NO', 'DECLINE'] as const;

export function confirmationReply(body: string): 'confirmed' | 'declined' | null {
  const word = body.trim().replace(/^[\s\p{P}]+|[\s\p{P}]+$/gu, '').toUpperCase();
  if ((CONFIRM_KEYWORDS as readonly string[]).includes(word)) return 'confirmed';
  if ((DECLINE_KEYWORDS as readonly string[]).includes(word)) return 'declined';
  return null;
}
