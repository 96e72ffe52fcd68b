import type { ConfirmationWords } from '@caretext/shared/confirmation';
import type { SecureNotification } from '@caretext/shared/send-input';
import type { PatientFromPage } from './ehr/normalize';

/**
 * What the background hands the sidebar and the popup: plain JSON (dates as ISO strings), since
 * it crosses chrome.runtime messaging.
 */

export type SessionView = {
  signedIn: boolean;
  serverUrl: string | null;
  email: string | null;
  user: { name: string; email: string } | null;
  org: { id: string; name: string } | null;
  orgs: { id: string; name: string; role: string }[];
  online: boolean;
  pendingOutbox: number;
  /** Approved EHR origins (match patterns) the sidebar may run on, once host access is granted. */
  ehrOrigins: string[];
};

export type PatientSummary = {
  id: string;
  displayName: string;
  firstName: string | null;
  lastName: string | null;
  mrn: string | null;
  phone: string | null;
  phoneDisplay: string | null;
  phoneLineType: string;
  email: string | null;
  dob: string | null;
  optedOut: boolean;
  blocked: boolean;
};

export type LookupView = {
  signedIn: boolean;
  /** What the page shows, normalized like the server does (E.164, YYYY-MM-DD). */
  page: PatientFromPage;
  patient: PatientSummary | null;
  matchedBy: 'mrn' | 'phone' | 'name_dob' | null;
  /**
   * A CareText patient with the same phone or name + DOB but another MRN than the page's: not
   * a match (never preselected for sending); the sidebar offers to link it or create one.
   */
  differentMrn: PatientSummary | null;
  /** A CareText patient with the page's MRN or phone but another date of birth: not a match either. */
  differentDob?: PatientSummary | null;
};

/** Why a row of the page's list matched no CareText patient (patients.matchMany). */
export type ListUnmatchedReason = 'no_patient' | 'several_candidates' | 'dob_mismatch' | 'different_mrn';

/** One row of the page's list, as the sidebar shows it: the name as the page shows it. */
export type ListRowView = { name: string } & ({ status: 'matched'; patient: { id: string; displayName: string } } | { status: 'unmatched'; reason: ListUnmatchedReason });

/** "Text these N patients": every row matched or not (with why), and where the blast wizard opens. */
export type ListMatchView = {
  rows: ListRowView[];
  matchedIds: string[];
  /** The web app's new-blast wizard with the matched patients as recipients; null when none matched. */
  blastUrl: string | null;
};

export type HistoryMessage = {
  id: string;
  conversationId: string;
  direction: 'inbound' | 'outbound' | string;
  channel: string;
  body: string;
  status: string;
  errorCode: string | null;
  errorMessage: string | null;
  sender: string | null;
  sendAfter: string | null;
  createdAt: string;
  /** An outbound confirmation request, and the patient's answer to it (confirmed | declined) once given. */
  requestsConfirmation: boolean;
  confirmation: string | null;
  /** A secure message the patient viewed in the portal (its read receipt); null otherwise, always on SMS. */
  readAt: string | null;
  /** Secure Chat: recalled by its sender (no body), and the files it carries (opened in the Inbox, not here). */
  recalled?: boolean;
  attachments?: { id: string; fileName: string; recalled: boolean }[];
};

/**
 * A live change in a conversation of the caller's teams, as the background pushes it: only the
 * sidebar showing `patientId` applies it, to the history it already has (nothing is re-read).
 */
export type HistoryChange = {
  patientId: string | null;
  conversationId: string;
  /** A new message, whole. */
  added: HistoryMessage | null;
  /** A later state of a message: its status (applied only forward), the patient's answer, a recall. */
  changed: {
    id: string;
    status: string;
    errorCode: string | null;
    errorMessage: string | null;
    confirmation: string | null;
    readAt?: string | null;
    /** Recalled by its sender: the body and files go. */
    recalled?: boolean;
    /** Its files as they are now (one may have been recalled). */
    attachments?: { id: string; fileName: string; recalled: boolean }[];
  } | null;
  /** The patient opted out of (or back in to) this conversation's number. */
  optOutChanged: boolean;
};

export type OutboxEntry = {
  idempotencyKey: string;
  patientId: string;
  body: string;
  createdAt: string;
  /** waiting: for the connection; sending: on its way; failed: the server refused it (see error). */
  state: 'waiting' | 'sending' | 'failed';
  error: string | null;
};

export type HistoryView = {
  messages: HistoryMessage[];
  conversationIds: string[];
  /** STOP replies per clinic number. */
  optOuts: { number: string; keyword: string; at: string }[];
  outbox: OutboxEntry[];
};

/** `reason` says why not in words; `blockedBy` is the refusal reason it stands for (opted_out, landline, …). */
export type Availability = { available: boolean; reason: string | null; blockedBy?: string | null };

export type PatientView = HistoryView & {
  teams: { id: string; name: string; number: string | null }[];
  teamId: string | null;
  /** Null when the user is on no team (nothing can be sent). */
  availability: { secure: Availability; sms: Availability } | null;
  templates: { id: string; name: string; body: string; requestsConfirmation?: boolean; team: string | null }[];
  draft: string;
  /** The organization's confirmation words (null: the defaults) and name, for what a send adds and fills in. */
  confirmationWords: ConfirmationWords | null;
  orgName: string;
};

/** A file uploaded for a Secure Chat message, not sent yet (its id goes in the send's `attachmentIds`). */
export type AttachmentView = { id: string; fileName: string; contentType: string; size: number };

/**
 * The largest file the sidebar takes (ATTACHMENT_MAX_MB's default, 10 MB): checked in the
 * sidebar before reading it, again in the background, and by the server with its own setting.
 */
export const ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024;

export type SendResult = { status: 'sent'; messageId: string; messageStatus: string; sendAfter: string | null; duplicate: boolean; notification?: SecureNotification } | { status: 'queued' };

/**
 * The sidebar's blast wizard: what it may send from and to. Teams are the caller's teams that
 * own an active number (a blast goes out from its team's number); cohorts are the org's saved
 * ones with their current size; `webUrl` is the web app, for links out (create a cohort).
 */
export type BlastSetupView = {
  teams: { id: string; name: string; number: string }[];
  cohorts: { id: string; name: string; patientCount: number }[];
  templates: { id: string; name: string; body: string; team: string | null }[];
  orgName: string;
  webUrl: string;
};

/** blasts.preview: the same counts as the web wizard's Send preview. */
export type BlastPreviewView = { total: number; willSend: number; optedOut: number; noContactInfo: number; landline: number; blocked: number; notOptedIn: number; notFound: number };

/** Send Test to Me went to the caller's own phone, rendered for a sample patient of the audience. */
export type BlastTestView = { to: string; toDisplay: string; samplePatient: string | null };

/** A blast as the sidebar follows it (blasts.get), and where its results open in the web app. */
export type BlastProgressView = {
  id: string;
  name: string;
  status: string;
  stats: { total: number; sent: number; failed: number; skipped: number; queued: number; canceled: number; awaitingReport: number };
  resultsUrl: string;
};

/** blasts.send: the blast started (or the earlier one with the same idempotency key: `duplicate`). */
export type BlastSentView = { duplicate: boolean; blast: BlastProgressView };
