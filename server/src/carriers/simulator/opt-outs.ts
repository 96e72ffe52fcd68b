/**
 * Twilio's Advanced Opt-Out, as the simulator models it: a recipient who texts a STOP keyword to
 * one of our numbers can no longer be sent to from that number (21610) until they text START.
 * Twilio matches a whole-message keyword, case-insensitively, ignoring surrounding whitespace;
 * we also ignore trailing punctuation ("Stop." counts, "STOP please" does not).
 */
const KEYWORDS = {
  STOP: ['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'OPTOUT', 'REVOKE'],
  START: ['START', 'YES', 'UNSTOP'],
  HELP: ['HELP', 'INFO'],
} as const;

export type OptOutType = keyof typeof KEYWORDS;

export function optOutType(body: string): OptOutType | null {
  const word = body.trim().replace(/[.!?]+$/, '').toUpperCase();
  for (const [type, words] of Object.entries(KEYWORDS) as Array<[OptOutType, readonly string[]]>) {
    if (words.includes(word)) return type;
  }
  return null;
}

export class OptOutRegistry {
  private readonly pairs = new Set<string>();

  /** `sender` is our (Twilio) number, `recipient` the person who opted out. */
  isOptedOut(sender: string, recipient: string): boolean {
    return this.pairs.has(`${sender}|${recipient}`);
  }

  /** Applies an inbound message from `recipient` to our number `sender`; returns the keyword type. */
  apply(sender: string, recipient: string, body: string): OptOutType | null {
    const type = optOutType(body);
    if (type === 'STOP') this.pairs.add(`${sender}|${recipient}`);
    if (type === 'START') this.pairs.delete(`${sender}|${recipient}`);
    return type;
  }

  clear() {
    this.pairs.clear();
  }
}
