import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Request body limits, by route. Checked on Content-Length before anything reads the body, so
 * a huge declared body is refused with 413 without buffering a byte of it. Bodies without a
 * length (chunked) are capped while they stream by each route's reader: tRPC's maxBodySize,
 * body-parser's `limit` (webhooks, simulator, Nest's default 100 kB). The CSV upload is not
 * ours to limit: it checks its own Content-Length (IMPORT_MAX_MB) and counts while it streams;
 * so does the attachment upload (ATTACHMENT_MAX_MB).
 */
export const TRPC_MAX_BODY_BYTES = 1024 * 1024;
export const SMALL_BODY_BYTES = 100 * 1024;
/** Twilio webhooks are a few kB of form fields; the readers cap them at 64-100 kB too. */
export const WEBHOOK_MAX_BODY_BYTES = 128 * 1024;

export const UPLOAD_PATH = '/api/imports/patients';
export const ATTACHMENT_UPLOAD_PATH = '/api/attachments';
/** The patient's upload through the portal: the same limit, enforced by the attachment reader. */
export const PORTAL_UPLOAD_PATH = '/api/portal/upload';
/** The blast wizard's image upload: limited (under 1 MB) by its own reader, with its own message. */
export const BLAST_IMAGE_UPLOAD_PATH = '/api/blast-images';

/** Null: the route enforces its own limit (the upload). */
export function bodyLimitFor(path: string): number | null {
  if (path === UPLOAD_PATH || path === ATTACHMENT_UPLOAD_PATH || path === PORTAL_UPLOAD_PATH || path === BLAST_IMAGE_UPLOAD_PATH) return null;
  if (path === '/trpc' || path.startsWith('/trpc/')) return TRPC_MAX_BODY_BYTES;
  if (path.startsWith('/webhooks/')) return WEBHOOK_MAX_BODY_BYTES;
  return SMALL_BODY_BYTES;
}

/** Answers 413 (and closes the connection rather than read the body) when Content-Length is over the limit. */
export function refuseDeclaredOversize(req: IncomingMessage, res: ServerResponse): boolean {
  const declared = req.headers['content-length'];
  if (declared === undefined) return false;
  const limit = bodyLimitFor((req.url ?? '/').split('?')[0]!);
  if (limit === null) return false;
  const length = Number(declared);
  if (Number.isFinite(length) && length <= limit) return false;
  const message = Number.isFinite(length) ? `The request body is too large (limit ${Math.round(limit / 1024)} kB).` : 'Bad Content-Length.';
  res.writeHead(Number.isFinite(length) ? 413 : 400, { 'content-type': 'application/json', connection: 'close', 'cache-control': 'no-store' });
  res.end(JSON.stringify({ error: message }));
  return true;
}
