import { createHmac, timingSafeEqual } from 'node:crypto';

/** How long a download link works: long enough to click, too short to be worth forwarding. */
export const DOWNLOAD_LINK_TTL_MS = 5 * 60_000;

/**
 * Who a link was made for. Staff by user id; a patient by the conversation their verified
 * portal link opened (the portal has no user account). `retrieval`: an org admin reading a
 * recalled file (recall.retrieve); the only link a recalled file is served on.
 */
export type Viewer = { kind: 'staff'; userId: string } | { kind: 'patient'; conversationId: string } | { kind: 'retrieval'; userId: string } | { kind: 'carrier' };

/** Purposes (each its own key): a link signed for one kind of file never opens another. */
export const ATTACHMENT_LINKS = 'caretext attachment download links v1';
export const BLAST_IMAGE_LINKS = 'caretext blast image links v1';

export type LinkParams = { exp: string; v: string; sig: string };

const ID = /^[A-Za-z0-9-]{1,64}$/;

export function encodeViewer(viewer: Viewer): string {
  if (viewer.kind === 'carrier') return 'c.mms';
  if (viewer.kind === 'retrieval') return `r.${viewer.userId}`;
  return viewer.kind === 'staff' ? `u.${viewer.userId}` : `p.${viewer.conversationId}`;
}

function decodeViewer(value: string): Viewer | null {
  const [kind, id, ...rest] = value.split('.');
  if (rest.length || !id || !ID.test(id)) return null;
  if (kind === 'u') return { kind: 'staff', userId: id };
  if (kind === 'p') return { kind: 'patient', conversationId: id };
  if (kind === 'r') return { kind: 'retrieval', userId: id };
  if (kind === 'c' && id === 'mms') return { kind: 'carrier' };
  return null;
}

/**
 * The signature covers the attachment, the expiry and the viewer, under a key of its own (an
 * HMAC of the server secret), so a link cannot be moved to another file, stretched, or handed
 * to someone else's name; the file name in the path is for the browser only.
 */
export class DownloadLinks {
  private readonly key: Buffer;

  constructor(serverSecret: string, purpose: string = ATTACHMENT_LINKS) {
    this.key = createHmac('sha256', serverSecret).update(purpose).digest();
  }

  sign(attachmentId: string, expiresAt: Date, viewer: Viewer): LinkParams {
    const exp = String(Math.floor(expiresAt.getTime() / 1000));
    const v = encodeViewer(viewer);
    return { exp, v, sig: this.mac(attachmentId, exp, v) };
  }

  /** The viewer and expiry when the signature is ours for this attachment; null otherwise (expired or not). */
  verify(attachmentId: string, params: Partial<LinkParams>): { viewer: Viewer; expiresAt: Date } | null {
    const { exp, v, sig } = params;
    if (typeof exp !== 'string' || typeof v !== 'string' || typeof sig !== 'string' || !/^\d{1,12}$/.test(exp)) return null;
    const expected = Buffer.from(this.mac(attachmentId, exp, v));
    const given = Buffer.from(sig);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    const viewer = decodeViewer(v);
    return viewer ? { viewer, expiresAt: new Date(Number(exp) * 1000) } : null;
  }

  private mac(attachmentId: string, exp: string, v: string): string {
    return createHmac('sha256', this.key).update(`${attachmentId}\n${exp}\n${v}`).digest('base64url');
  }
}
