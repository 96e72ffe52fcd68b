import { type OptKeyword, optKeyword } from '@caretext/shared';

/**
 * Twilio's Advanced Opt-Out, as the simulator models it: a recipient who texts a STOP keyword to
 * one of our numbers can no longer be sent to from that number (21610) until they text START.
 * The keywords and how a reply is matched are the server's own (`optKeyword` in shared): a
 * whole-message keyword, any case, punctuation or emoji around it ("Stop." counts, "STOP please"
 * does not), so the simulated carrier and CareText never disagree on who opted out.
 */
export type OptOutType = OptKeyword;

export const optOutType = optKeyword;

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
