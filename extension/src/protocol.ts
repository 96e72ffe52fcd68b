import type { PatientContext } from './ehr/patient-context';
import type { PageReading } from './ehr/registry';
import type { HistoryView, LookupView, PatientView, SendResult, SessionView } from './views';

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
  | { type: 'patient.create'; page: PatientContext }
  | { type: 'patient.linkMrn'; patientId: string; page: PatientContext }
  | { type: 'patient.view'; patientId: string; teamId: string | null }
  | { type: 'patient.history'; patientId: string }
  | { type: 'draft.save'; patientId: string; body: string }
  | {
      type: 'message.send';
      patientId: string;
      teamId: string;
      body: string;
      idempotencyKey: string;
      confirmPhi?: boolean;
      quietHours?: 'send_now' | 'schedule';
    }
  | { type: 'outbox.discard'; idempotencyKey: string }
  | { type: 'sidebar.setOpen'; open: boolean };

export type RequestType = Request['type'];

/** What each request answers with. */
export type Results = {
  'session.get': SessionView;
  'session.signIn': SessionView;
  'session.signOut': SessionView;
  'session.switchOrg': SessionView;
  'patient.lookup': LookupView;
  'patient.create': LookupView;
  'patient.linkMrn': LookupView;
  'patient.view': PatientView;
  'patient.history': HistoryView;
  'draft.save': null;
  'message.send': SendResult;
  'outbox.discard': null;
  'sidebar.setOpen': null;
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
  | { type: 'message'; conversationId: string; messageId: string }
  | { type: 'connection'; online: boolean }
  /** The live feed (re)started: anything may have happened while it was down. */
  | { type: 'resync' }
  | { type: 'outbox'; pending: number }
  | { type: 'session' }
  | { type: 'toggle' }
  /** The patient the EHR page (or its same-origin frame) shows, read by the content script. */
  | { type: 'reading'; reading: PageReading | null };

export const SIDEBAR_PORT = 'caretext-sidebar';

/**
 * The content script's only message: what it reads on the page (top frame or a same-origin
 * frame). The background keeps it per tab and hands it to that tab's sidebar frame.
 */
export type PageReport = { type: 'page.reading'; reading: PageReading | null };

/** From the background to a tab's content scripts. */
export type ToContent =
  /** Size the sidebar frame (open panel or just the toggle tab). */
  | { type: 'sidebar.layout'; open: boolean }
  /** A frame of this tab shows a patient: the top page mounts the sidebar frame. */
  | { type: 'sidebar.show' }
  /** The background lost its memory (service worker restart): say again what you read. */
  | { type: 'page.report' };
