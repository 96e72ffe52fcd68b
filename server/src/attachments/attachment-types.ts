import { cleanName, stripControlChars } from '@caretext/shared';
import { fileTypeFromFile } from 'file-type';

/**
 * What may be attached: photos and screenshots, and PDF for documents. The type is read from
 * the bytes (file-type's magic numbers), never from the name or the request's Content-Type.
 * Plain text and CSV are left out on purpose: they carry no signature, so "text" would let in
 * any HTML or script file under any name; a PDF covers documents. SVG (script inside an image)
 * is not detected as an image and so is refused too.
 */
export const ALLOWED_TYPES: Readonly<Record<string, { label: string; extensions: readonly string[]; image: boolean }>> = {
  'image/jpeg': { label: 'JPEG', extensions: ['jpg', 'jpeg'], image: true },
  'image/png': { label: 'PNG', extensions: ['png'], image: true },
  'image/gif': { label: 'GIF', extensions: ['gif'], image: true },
  'image/webp': { label: 'WebP', extensions: ['webp'], image: true },
  'image/heic': { label: 'HEIC', extensions: ['heic'], image: true },
  'image/heif': { label: 'HEIF', extensions: ['heif', 'heic'], image: true },
  'application/pdf': { label: 'PDF', extensions: ['pdf'], image: false },
};

export const ALLOWED_TYPES_TEXT = 'photos (JPEG, PNG, GIF, WebP, HEIC) and PDF documents';

/** The allowed type of the file's bytes, or null (unknown or not allowed). */
export async function detectAllowedType(filePath: string): Promise<string | null> {
  const detected = await fileTypeFromFile(filePath);
  return detected && detected.mime in ALLOWED_TYPES ? detected.mime : null;
}

/** Images are shown inline; everything else is only ever downloaded. */
export function isImage(contentType: string): boolean {
  return ALLOWED_TYPES[contentType]?.image === true;
}

const MAX_NAME_LENGTH = 120;

/**
 * The name we show and offer on download: no directories (`../../etc/passwd` is `passwd`), no
 * control characters (a line break would split the download's headers), no invisible ones (a
 * right-to-left override, U+202E, makes `photo<U+202E>gpj.exe` read as `photoexe.jpg`), none
 * of the characters Windows refuses, no leading dots, and an extension that matches the
 * detected type (a PNG sent as `scan.pdf` is offered as `scan.png`).
 * It is never used as a path: files are stored under a random key.
 */
export function attachmentFileName(raw: string, contentType: string): string {
  const lastSegment = stripControlChars(raw).replace(/[\t\r\n]+/g, ' ').split(/[/\\]/).pop() ?? '';
  let name = cleanName(lastSegment)
    .replace(/[<>:"|?*]/g, '_')
    .replace(/^[.\s]+/, '')
    .replace(/[.\s]+$/, '');
  const extensions = ALLOWED_TYPES[contentType]?.extensions ?? [];
  const dot = name.lastIndexOf('.');
  const extension = dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
  if (!extensions.includes(extension)) {
    // Drop an extension that claims another type ("scan.pdf" holding a PNG); keep other dots ("v1.2 scan").
    if (/^[a-z0-9]{1,5}$/.test(extension)) name = name.slice(0, dot);
    name = `${name || 'attachment'}.${extensions[0] ?? 'bin'}`;
  }
  if (name.length > MAX_NAME_LENGTH) {
    const ext = name.slice(name.lastIndexOf('.'));
    name = Array.from(name.slice(0, name.lastIndexOf('.'))).slice(0, MAX_NAME_LENGTH - ext.length).join('') + ext;
  }
  return name;
}

/** `Content-Disposition` with an ASCII fallback and the UTF-8 name (RFC 6266 / 5987). */
export function contentDisposition(kind: 'inline' | 'attachment', fileName: string): string {
  const ascii = fileName.normalize('NFKD').replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  const encoded = encodeURIComponent(fileName).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
