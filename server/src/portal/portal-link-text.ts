/** Marks the notification SMS (Message.autoReply): its link is made only as it is sent (portal-link-mint.ts). */
export const PORTAL_LINK_NOTICE = 'portal_link';

/** The notification text: the org and a link, never the message (no PHI by SMS). */
export function noticeText(orgName: string, url: string): string {
  return `${orgName}: You have a new secure message. Open ${url}`;
}

/** A notification with its token masked: how the carrier's copy of a lost send is recognized as ours (reconciliation). */
export function withoutPortalToken(body: string): string {
  return body.replace(/\/p\/[A-Za-z0-9_-]{20,}/g, PORTAL_TOKEN_PLACEHOLDER);
}

/** Where the link's token goes in a queued notice: none exists until the worker sends it (portal-link-mint.ts). */
export const PORTAL_TOKEN_PLACEHOLDER = '/p/(link sent to the patient)';

/** The text the carrier gets: the placeholder replaced by the token minted for this send. */
export function withPortalToken(body: string, token: string): string {
  return body.replace(PORTAL_TOKEN_PLACEHOLDER, `/p/${token}`);
}
