/**
 * The one carrier interface. The Twilio implementation (official SDK) talks to real Twilio
 * when credentials are configured, and to the in-process Twilio-compatible simulator
 * otherwise; nothing above this layer knows which.
 */
export type LineType = 'mobile' | 'landline' | 'voip' | 'unknown';

export type OutboundMessage = {
  from: string; // E.164
  to: string; // E.164
  body: string;
  mediaUrls?: string[];
  /** Where the carrier posts status changes for this message. */
  statusCallback: string;
};

export type SentMessage = {
  sid: string;
  /** The carrier's status right after accepting (Twilio: queued/accepted). */
  status: string;
};

export type AvailableNumber = { phoneNumber: string; locality: string | null; region: string | null };

export type OwnedNumber = { sid: string; phoneNumber: string };

export class CarrierError extends Error {
  constructor(
    message: string,
    /** The carrier's error code (Twilio: 21211 invalid To, 21610 opted out, 21614 not mobile, ...). */
    readonly code: number | null,
    readonly status: number | null,
  ) {
    super(message);
  }
}

export interface Carrier {
  readonly name: string;
  sendMessage(message: OutboundMessage): Promise<SentMessage>;
  searchAvailableNumbers(query: { country: string; areaCode: string; limit?: number }): Promise<AvailableNumber[]>;
  /** Buys the number with its inbound-message and status webhooks set. */
  buyNumber(input: { phoneNumber: string; smsUrl: string; statusCallback: string }): Promise<OwnedNumber>;
  releaseNumber(sid: string): Promise<void>;
  lookupLineType(phone: string): Promise<LineType>;
  /** Checks X-Twilio-Signature (or the carrier's equivalent) for a webhook call to `url`. */
  verifyWebhook(url: string, params: Record<string, string>, signature: string | undefined): boolean;
}

export const CARRIER = Symbol('CARRIER');
