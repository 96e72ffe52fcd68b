import type { PortalAnswer } from '@caretext/shared';

/** The link's token: the last part of /p/<token>. It never leaves this page but in request bodies. */
export function tokenFromPath(pathname: string): string {
  const match = /^\/p\/([A-Za-z0-9_-]+)\/?$/.exec(pathname);
  return match ? match[1]! : '';
}

/** One call to the portal API; a network or server failure becomes an `error` answer the page can show. */
export async function portalCall(path: 'open' | 'verify' | 'conversation' | 'version' | 'reply' | 'file' | 'recall', body: Record<string, unknown>): Promise<PortalAnswer> {
  try {
    const res = await fetch(`/api/portal/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      credentials: 'same-origin',
      body: JSON.stringify(body),
    });
    const answer = (await res.json().catch(() => null)) as PortalAnswer | null;
    if (answer && typeof answer.state === 'string') return answer;
    return { state: 'error', message: 'Something went wrong on our side. Please try again in a moment.' };
  } catch {
    return { state: 'error', message: 'No connection. Check your internet connection and try again.' };
  }
}

/**
 * Uploads one file for a reply: its bytes as the body, the token in a header (never the URL).
 * The server checks the type from the bytes and the size, and says why when it refuses.
 */
export async function portalUpload(token: string, file: File): Promise<PortalAnswer> {
  try {
    const res = await fetch(`/api/portal/upload?name=${encodeURIComponent(file.name || 'file')}`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', 'x-portal-token': token },
      credentials: 'same-origin',
      body: file,
    });
    const answer = (await res.json().catch(() => null)) as PortalAnswer | null;
    if (answer && typeof answer.state === 'string') return answer;
    return { state: 'invalid', message: res.status === 413 ? 'This file is too large.' : 'The file could not be uploaded. Please try again.' };
  } catch {
    return { state: 'error', message: 'No connection. Check your internet connection and try again.' };
  }
}
