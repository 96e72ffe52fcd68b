import type { RequestType } from '../protocol';
import { urlPatternRegex } from '../ehr/admin-defined';

/**
 * Who sent a message to the background, from what Chrome says about the sender (never from the
 * message). Web pages cannot message us at all (no `externally_connectable`); content scripts
 * can, so a content script may only report what it reads, and only on an approved EHR origin.
 */
export type SenderRole =
  /** The toolbar popup (or the popup page opened in a tab). */
  | { role: 'popup' }
  /** The sidebar page, framed into a tab on an approved EHR origin. */
  | { role: 'sidebar'; tabId: number }
  /** A content script in a tab on an approved EHR origin. */
  | { role: 'content'; tabId: number; frameId: number }
  | { role: 'none'; why: string };

export type SenderInfo = Pick<chrome.runtime.MessageSender, 'id' | 'url' | 'origin' | 'tab' | 'frameId'>;

export const POPUP_PATH = '/src/popup/index.html';
export const SIDEBAR_PATH = '/src/sidebar/index.html';

/** Does `url` fall under one of the approved match patterns? */
export function isApprovedUrl(url: string | undefined, approved: readonly string[]): boolean {
  if (!url) return false;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return false;
  const target = `${parsed.origin}${parsed.pathname}${parsed.search}`;
  return approved.some((pattern) => urlPatternRegex(pattern)?.test(target) ?? false);
}

export function roleOf(sender: SenderInfo, extensionId: string, approved: readonly string[]): SenderRole {
  if (sender.id !== extensionId) return { role: 'none', why: 'another extension' };
  const own = `chrome-extension://${extensionId}`;
  let url: URL | null = null;
  try {
    url = sender.url ? new URL(sender.url) : null;
  } catch {
    url = null;
  }
  if (!url) return { role: 'none', why: 'no sender url' };
  // protocol + host, not url.origin: for non-http schemes some URL implementations say "null".
  if (`${url.protocol}//${url.host}` === own) {
    if (url.pathname === POPUP_PATH) return { role: 'popup' };
    if (url.pathname === SIDEBAR_PATH) {
      // The sidebar only ever runs framed into an EHR tab, and answers only for that tab.
      const tab = sender.tab;
      if (!tab?.id || !sender.frameId) return { role: 'none', why: 'sidebar outside a tab' };
      if (!isApprovedUrl(tab.url, approved)) return { role: 'none', why: 'sidebar on an unapproved origin' };
      return { role: 'sidebar', tabId: tab.id };
    }
    return { role: 'none', why: 'unknown extension page' };
  }
  // A content script: its own frame and its tab's top page must both be approved.
  const tab = sender.tab;
  if (!tab?.id || sender.frameId === undefined) return { role: 'none', why: 'no tab' };
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { role: 'none', why: 'not a web page' };
  if (sender.origin && sender.origin !== url.origin) return { role: 'none', why: 'origin mismatch' };
  if (!isApprovedUrl(url.href, approved) || !isApprovedUrl(tab.url, approved)) return { role: 'none', why: 'unapproved origin' };
  return { role: 'content', tabId: tab.id, frameId: sender.frameId };
}

/** Which role may send which request. Everything not listed here is refused. */
const ALLOWED: Record<RequestType, readonly SenderRole['role'][]> = {
  'session.get': ['popup', 'sidebar'],
  'session.signIn': ['popup'],
  'session.signOut': ['popup'],
  'session.switchOrg': ['popup'],
  'patient.lookup': ['sidebar'],
  'patients.matchList': ['sidebar'],
  'patient.create': ['sidebar'],
  'patient.linkMrn': ['sidebar'],
  'patient.view': ['sidebar'],
  'patient.history': ['sidebar'],
  'draft.save': ['sidebar'],
  'message.send': ['sidebar'],
  'outbox.discard': ['sidebar'],
  'secure.resendLink': ['sidebar'],
  // File bytes for the server: only the sidebar's composer (never the page, a content script or the popup).
  'attachment.upload': ['sidebar'],
  'sidebar.setOpen': ['sidebar'],
  'outbox.list': ['sidebar'],
  // Blasts from the sidebar: the popup has no business composing them, the page cannot ask at all.
  'blast.setup': ['sidebar'],
  'blast.preview': ['sidebar'],
  'blast.sendTest': ['sidebar'],
  'blast.send': ['sidebar'],
  'blast.progress': ['sidebar'],
};

export function mayAsk(type: string, role: SenderRole): boolean {
  return Object.hasOwn(ALLOWED, type) && ALLOWED[type as RequestType].includes(role.role);
}
