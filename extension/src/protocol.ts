import type { SecureNotification, SendMessageInput } from '@caretext/shared';
import type { PatientContext } from './ehr/patient-context';
import type { PageList, PageReading } from './ehr/registry';
import type { AttachmentView, BlastPreviewView, BlastProgressView, BlastSentView, BlastSetupView, BlastTestView, HistoryChange, HistoryView, ListMatchView, LookupView, OutboxEntry, PatientView, SendResult, SessionView } from './views';

/**
 * Messages from the popup and the sidebar (both extension pages) to the background, which alone
 * holds the session and talks to the server. Every answer is `Answer<T>`: errors cross the
 * boundary as data (a refused send keeps its reason, so the composer can offer the way out).
 * Each type is answered only from the sender it belongs to (./background/senders.ts).
 */
export type Request =
  | { type: 'session.get' }
  | { type: 'session.signIn'; serverUrl: string; email: string; password: string }
  | { type: 'session.signOut' }
  | { type: 'session.switchOrg'; orgId: string }
  | { type: 'patient.lookup'; page: PatientContext }
  /** "Text these N patients": match the list the tab's page shows (exactly the rows its content script reported). */
  | { type: 'patients.matchList'; rows: PatientContext[] }
  | { type: 'patient.create'; page: PatientContext }
  | { type: 'patient.linkMrn'; patientId: string; page: PatientContext }
  | { type: 'patient.view'; patientId: string; teamId: string | null }
  | { type: 'patient.history'; patientId: string }
  | { type: 'draft.save'; patientId: string; body: string }
  | ({ type: 'message.send' } & SidebarSend)
  | { type: 'outbox.discard'; idempotencyKey: string }
  /** A new portal link for the patient of a secure conversation (earlier links stop working). */
  | { type: 'secure.resendLink'; conversationId: string }
  /**
   * One file for a Secure Chat message (Attach in the sidebar's composer): its bytes as base64
   * (chrome messaging carries JSON only), at most ATTACHMENT_MAX_BYTES. The background uploads
   * it to the team's secure thread with the patient (POST /api/attachments) with the token only
   * it holds; the send then names the answer's id in `attachmentIds`. Sidebar frame only.
   */
  | { type: 'attachment.upload'; patientId: string; teamId: string; name: string; data: string }
  | { type: 'sidebar.setOpen'; open: boolean }
  /** What waits in the outbox for this patient (this browser's own, no server read). */
  | { type: 'outbox.list'; patientId: string }
  /**
   * The sidebar's blast wizard (issue 13, "Launching from the EHR"): the teams, cohorts and
   * templates to compose with, then blasts.preview / sendTest / send / get on the server, which
   * checks the caller is on the number's team. Sidebar frame only: never the page.
   */
  | { type: 'blast.setup' }
  | ({ type: 'blast.preview' } & BlastAudience)
  | ({ type: 'blast.sendTest' } & BlastAudience & { body: string; confirmPhi?: boolean })
  | ({ type: 'blast.send' } & BlastAudience & { name?: string; body: string; idempotencyKey: string; confirmPhi?: boolean })
  | { type: 'blast.progress'; blastId: string };

/** Who a sidebar blast goes to, and from which team's number (saved cohorts only). */
export type BlastAudience = { teamId: string; cohortIds: string[] };

/**
 * A send from the sidebar: `conversations.send` by patient and team (the background's outbox
 * keeps it until the server has it, so the idempotency key is always there).
 */
export type SidebarSend = Omit<SendMessageInput, 'conversationId' | 'patientId' | 'teamId' | 'idempotencyKey'> &
  Required<Pick<SendMessageInput, 'patientId' | 'teamId' | 'idempotencyKey'>>;

export type RequestType = Request['type'];

/** What each request answers with. */
export type Results = {
  'session.get': SessionView;
  'session.signIn': SessionView;
  'session.signOut': SessionView;
  'session.switchOrg': SessionView;
  'patient.lookup': LookupView;
  'patients.matchList': ListMatchView;
  'patient.create': LookupView;
  'patient.linkMrn': LookupView;
  'patient.view': PatientView;
  'patient.history': HistoryView;
  'draft.save': null;
  'message.send': SendResult;
  'outbox.discard': null;
  'secure.resendLink': SecureNotification;
  'attachment.upload': AttachmentView;
  'sidebar.setOpen': null;
  'outbox.list': OutboxEntry[];
  'blast.setup': BlastSetupView;
  'blast.preview': BlastPreviewView;
  'blast.sendTest': BlastTestView;
  'blast.send': BlastSentView;
  'blast.progress': BlastProgressView;
};
export type RequestOf<T extends RequestType> = Extract<Request, { type: T }>;

export type Failure = {
  message: string;
  /** The server's refusal reason (phi, quiet_hours, opted_out, landline, …) or our own (signed_out, offline). */
  reason: string | null;
  details: Record<string, unknown>;
};

export type Answer<T> = { ok: true; value: T } | { ok: false; error: Failure };

/** Pushed by the background to every open sidebar over its port. */
export type Push =
  | ({ type: 'message' } & HistoryChange)
  | { type: 'connection'; online: boolean }
  /** The live feed (re)started: anything may have happened while it was down. */
  | { type: 'resync' }
  /** A blast's messages were written to (or canceled in) these conversations: re-read one shown. */
  | { type: 'conversations.changed'; conversationIds: string[] }
  | { type: 'outbox'; pending: number }
  | { type: 'session' }
  | { type: 'toggle' }
  /**
   * The patient the EHR page (or its same-origin frame) shows, and the list of patients it
   * shows (a schedule), read by the content script.
   */
  | { type: 'reading'; reading: PageReading | null; list: PageList | null };

export const SIDEBAR_PORT = 'caretext-sidebar';

/**
 * The content script's only message: what it reads on the page (top frame or a same-origin
 * frame). The background keeps it per tab and hands it to that tab's sidebar frame.
 */
export type PageReport = { type: 'page.reading'; reading: PageReading | null; list?: PageList | null };

/** From the background to a tab's content scripts. */
export type ToContent =
  /** Size the sidebar frame (open panel or just the toggle tab). */
  | { type: 'sidebar.layout'; open: boolean }
  /** A frame of this tab shows a patient: the top page mounts the sidebar frame. */
  | { type: 'sidebar.show' }
  /** The background lost its memory (service worker restart): say again what you read. */
  | { type: 'page.report' };
