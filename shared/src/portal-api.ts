/**
 * The patient portal's API (server/src/portal/portal.http.ts): JSON POSTs under /api/portal,
 * each with the link's `token` in the body; the page (web/src/portal) switches on `state`.
 * Before verification nothing of the patient is in an answer, only the clinic's name.
 */
export type PortalLinkState =
  | { state: 'verify'; org: string; triesLeft: number }
  | { state: 'verified'; org: string }
  | { state: 'wrong'; org: string; triesLeft: number }
  | { state: 'locked'; org: string; until: string }
  | { state: 'expired'; org: string }
  | { state: 'replaced'; org: string }
  | { state: 'not_found' }
  | { state: 'too_many_tries'; until: string };

/** A secure message as the patient sees it. */
/** A file on a portal message (never a recalled one); its link comes from /api/portal/file. */
export type PortalFile = { id: string; fileName: string; contentType: string; size: number };

export type PortalMessage = { id: string; from: 'clinic' | 'patient'; sender: string | null; body: string; at: Date | string; readAt: Date | string | null; files?: PortalFile[]; recalled?: boolean };

/** /api/portal/file: a short-lived link to one file of the conversation. /api/portal/upload: the uploaded file. */
export type PortalFileResult = { state: 'file'; url: string; fileName: string } | { state: 'uploaded'; file: PortalFile } | { state: 'recalled' } | { state: 'invalid'; message: string };

/** `version`: what /api/portal/version answers while nothing the page shows has changed. */
export type PortalConversation = { state: 'conversation'; org: string; version: string; patientName: string; repliesEnabled: boolean; messages: PortalMessage[] };

/** /api/portal/version: cheap to poll; a different value means "load the conversation again". */
export type PortalVersion = { state: 'version'; version: string };

export type PortalReplyResult = { state: 'sent'; message: PortalMessage } | { state: 'replies_off' } | { state: 'invalid'; message: string };

/** Any answer: a link state, the conversation, a reply's result, or an error the page shows as is. */
export type PortalAnswer = PortalLinkState | PortalConversation | PortalVersion | PortalReplyResult | PortalFileResult | { state: 'error'; message: string };
