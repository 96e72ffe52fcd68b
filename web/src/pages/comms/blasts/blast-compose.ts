import { MMS_IMAGE_MAX_BYTES, MMS_MAX_IMAGES } from '@caretext/shared';

// The token menu, the sample patient and the counts are shared with the extension's blast wizard.
export { applyToken, type RenderedSummary, renderedSummary, samplePatient, tokenMatches, tokenQuery } from '@caretext/shared';

/** The web wizard's own decisions, apart from its view: the channels, the images, the delivery banner. */

export type BlastChannel = { id: 'sms' | 'email'; label: string; available: boolean; note: string | null };

/** Email plugs in here when it exists; the wizard lists what is here and sends only what is available. */
export const BLAST_CHANNELS: readonly BlastChannel[] = [
  { id: 'sms', label: 'SMS', available: true, note: null },
  { id: 'email', label: 'Email', available: false, note: 'coming' },
];

/** What an MMS blast may carry, as the server checks it (it reads the type from the bytes). */
const IMAGE_EXTENSIONS = /\.(jpe?g|png|gif)$/i;
const IMAGE_MIME = /^image\/(jpeg|png|gif)$/;

/**
 * The images picked in the file dialog, split into those to upload and one sentence per refused
 * file (wrong type, 1 MB or more, past the third image). The server checks them again.
 */
export function checkBlastImages(picked: { name: string; size: number; type: string }[], already: number): { accepted: number[]; errors: string[] } {
  const accepted: number[] = [];
  const errors: string[] = [];
  picked.forEach((f, i) => {
    if (!(IMAGE_MIME.test(f.type) || (!f.type && IMAGE_EXTENSIONS.test(f.name)))) errors.push(`${f.name}: only JPG, PNG or GIF images can be sent by MMS.`);
    else if (f.size > MMS_IMAGE_MAX_BYTES) errors.push(`${f.name}: images must each be under 1 MB.`);
    else if (already + accepted.length >= MMS_MAX_IMAGES) errors.push(`${f.name}: at most ${MMS_MAX_IMAGES} images per blast.`);
    else accepted.push(i);
  });
  return { accepted, errors };
}

type Stats = { total: number; sent: number; skipped: number; failed: number; queued: number };

/** Sent out of those the blast tried to send to (skipped ones were never attempted), or null before any was. */
export function deliveryRate(stats: Stats): number | null {
  const attempted = stats.total - stats.skipped;
  return attempted > 0 ? stats.sent / attempted : null;
}

/** The low delivery banner: a finished blast that sent fewer than 90% of its messages. */
export function lowDelivery(status: string, stats: Stats): string | null {
  const rate = deliveryRate(stats);
  if (status !== 'completed' || rate === null || rate >= 0.9) return null;
  return `Only ${Math.floor(rate * 1000) / 10}% of messages were sent successfully (${stats.sent} of ${stats.total - stats.skipped}). Review the failed messages below; Retry Failed sends them again.`;
}
