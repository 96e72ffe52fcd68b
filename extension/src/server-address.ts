/** The CareText server address: what the popup and the background both check before any request. */

/** The server's origin from what someone typed: "clinic.example.com" -> "https://clinic.example.com". */
export function serverOrigin(typed: string): string | null {
  const text = typed.trim();
  if (!text) return null;
  try {
    const url = new URL(/^[a-z]+:\/\//i.test(text) ? text : `https://${text}`);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : null;
  } catch {
    return null;
  }
}

export const INSECURE_SERVER = 'Use an https:// address for the CareText server (http:// only for localhost while developing).';

/** https, or http only on this computer (a development server): patient data never crosses a network in clear text. */
export function isSecureServer(origin: string): boolean {
  const url = new URL(origin);
  return url.protocol === 'https:' || ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
}

/** The host permission the background needs to reach the server (requested at sign-in). */
export function serverPermission(origin: string): string {
  return originPermission(origin);
}

/**
 * The host permission for an origin or match pattern: `scheme://host/*` (Chrome's patterns
 * match any port, so the port is left out).
 */
export function originPermission(patternOrOrigin: string): string {
  const m = /^(\*|https?):\/\/([^/]+)/i.exec(patternOrOrigin.trim());
  if (!m) return patternOrOrigin;
  return `${m[1]!.toLowerCase()}://${m[2]!.replace(/:\d+$/, '').toLowerCase()}/*`;
}
