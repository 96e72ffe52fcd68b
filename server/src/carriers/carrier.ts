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

/** A message as the carrier has it now (for reconciling what we lost track of). */
export type CarrierMessage = { sid: string; from: string; to: string; body: string; status: string; errorCode: number | null; dateCreated: Date };

/**
 * The longest a carrier call may take before it is abandoned. A send claim expires well after
 * this (send-worker.ts), so a claim is only ever taken over once its worker's call has ended.
 */
export const CARRIER_TIMEOUT_MS = 30_000;

/** A message list longer than this (pages of 100) is refused rather than read to the end. */
export const LIST_MAX_PAGES = 100;

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
  /** One message by its carrier id. */
  fetchMessage(sid: string): Promise<{ sid: string; status: string; errorCode: number | null }>;
  /**
   * Every message from one number to another created at or after `since`, newest first (the
   * carrier's pages are followed until they reach older messages).
   */
  listMessages(query: { from: string; to: string; since: Date }): Promise<CarrierMessage[]>;
  searchAvailableNumbers(query: { country: string; areaCode: string; limit?: number }): Promise<AvailableNumber[]>;
  /** Buys the number with its inbound-message and status webhooks set. */
  buyNumber(input: { phoneNumber: string; smsUrl: string; statusCallback: string }): Promise<OwnedNumber>;
  releaseNumber(sid: string): Promise<void>;
  lookupLineType(phone: string): Promise<LineType>;
  /** Checks X-Twilio-Signature (or the carrier's equivalent) for a webhook call to `url`. */
  verifyWebhook(url: string, params: Record<string, string>, signature: string | undefined): boolean;
}

export const CARRIER = Symbol('CARRIER');
