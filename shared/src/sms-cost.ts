/**
 * Twilio US list prices used for estimates (update from twilio.com/sms/pricing/us
 * when they change): SMS is billed per segment, MMS per message whatever its
 * length. Carrier pass-through fees are not included, so this is an estimate for
 * the blast composer, not an invoice.
 */
export const SMS_SEGMENT_PRICE_USD = 0.0079;
export const MMS_MESSAGE_PRICE_USD = 0.02;

export type MessageChannel = 'sms' | 'mms';

export interface SmsCostInput {
  /** Segments per message (from smsSegments); ignored for MMS. */
  segments: number;
  recipients: number;
  channel: MessageChannel;
}

export interface SmsCostEstimate {
  channel: MessageChannel;
  /** Segments (SMS) or messages (MMS) billed across all recipients. */
  billableUnits: number;
  unitPriceUsd: number;
  /** Exact total in cents; may be fractional (one segment is 0.79). */
  cents: number;
  /** Total in dollars rounded up to the cent, for display ("$7.90"). */
  display: string;
}

// Prices in hundredths of a cent so totals are exact integers before the final
// division (0.0079 * 11 * 100 is 8.690000000000001 in floating point).
const toHundredthsOfCent = (usd: number) => Math.round(usd * 10_000);

function assertCount(name: string, n: number) {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`${name} must be a non-negative integer, got ${n}`);
}

export function estimateSmsCost({ segments, recipients, channel }: SmsCostInput): SmsCostEstimate {
  assertCount('segments', segments);
  assertCount('recipients', recipients);
  const unitPriceUsd = channel === 'mms' ? MMS_MESSAGE_PRICE_USD : SMS_SEGMENT_PRICE_USD;
  const billableUnits = channel === 'mms' ? recipients : segments * recipients;
  const hundredths = billableUnits * toHundredthsOfCent(unitPriceUsd);
  return {
    channel,
    billableUnits,
    unitPriceUsd,
    cents: hundredths / 100,
    display: `$${(Math.ceil(hundredths / 100) / 100).toFixed(2)}`,
  };
}

/** MMS blasts (product docs: "up to 3 image files (JPG, PNG, or GIF), each under 1 MB"). */
export const MMS_MAX_IMAGES = 3;
/** Each image must be under 1 MB: at most this many bytes. */
export const MMS_IMAGE_MAX_BYTES = 1024 * 1024 - 1;
/** The image types an MMS blast may carry, as detected from the bytes. */
export const MMS_IMAGE_TYPES: readonly string[] = ['image/jpeg', 'image/png', 'image/gif'];
