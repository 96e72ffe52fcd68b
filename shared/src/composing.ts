/**
 * What a composer decides, once for the web Inbox and the extension sidebar (which only render
 * it): what will go out and what it costs, what to ask before sending (PHI, quiet hours) and
 * what each answer does to the next send, the key that makes a send happen once, and what a
 * refusal or a blocked patient tells the person writing. No framework, no transport.
 */
import { confirmationRequestText, type ConfirmationWords, DEFAULT_CONFIRMATION_WORDS, endsWithConfirmationRequest, withConfirmationRequest } from './confirmation.js';
import { BLOCK_REASON_LABELS, type BlockReason, isBlockReason } from './message-status.js';
import { describePhi, detectPhi } from './phi-guard.js';
import { estimateSmsCost } from './sms-cost.js';
import { type SmsEncoding, smsSegments } from './sms-segments.js';
import type { SecureNotification } from './send-input.js';
import { renderTemplateWith, type TemplateData, unknownTokens } from './template.js';

// ---- the channel ----------------------------------------------------------------------------

/** Secure Chat (the patient gets a portal link, never the content) or SMS (Text Message). */
export type Channel = 'secure' | 'sms';

export const CHANNEL_LABELS: Record<Channel, string> = { secure: 'Secure Chat', sms: 'SMS (Text Message)' };

type Availability = { available: boolean; reason: string | null };

export type ChannelChoice = {
  /** The channels the composer offers, Secure Chat first. */
  offered: Channel[];
  /** What is chosen when the composer opens: SMS where it is possible (as today), else Secure Chat. */
  preferred: Channel | null;
  /** Why SMS is not offered (shown beside Secure Chat), or null. */
  smsUnavailable: string | null;
  /** Why nothing can be sent at all, or null. */
  noneReason: string | null;
};

/**
 * Which channels to offer, from the server's availability (`conversations.availability`): both
 * only where SMS is possible (exactly one patient, a team with a number, nothing blocking);
 * otherwise Secure Chat alone, saying why SMS is unavailable.
 */
export function channelChoice(availability: { secure: Availability; sms: Availability } | null | undefined): ChannelChoice {
  if (!availability) return { offered: [], preferred: null, smsUnavailable: null, noneReason: null };
  const offered: Channel[] = [];
  if (availability.secure.available) offered.push('secure');
  if (availability.sms.available) offered.push('sms');
  const preferred = offered.includes('sms') ? 'sms' : (offered[0] ?? null);
  const smsUnavailable = availability.sms.available ? null : availability.sms.reason;
  const noneReason = offered.length ? null : (availability.secure.reason ?? availability.sms.reason);
  return { offered, preferred, smsUnavailable, noneReason };
}

/** How the patient was told of a secure message, for the sender: "Link sent by SMS to (415) 555-0100." */
export function notificationNotice(n: SecureNotification | undefined, formatPhone: (e164: string) => string, formatTime: (iso: string) => string): { text: string; tone: 'info' | 'warning' } | null {
  if (!n) return null;
  if (n.via === 'sms') {
    const later = n.sendAfter ? ` It goes out at ${formatTime(new Date(n.sendAfter).toISOString())}, when quiet hours end.` : '';
    return { text: `Sent as Secure Chat. Link sent by SMS to ${formatPhone(n.to)}.${later}`, tone: 'info' };
  }
  if (n.via === 'email') return { text: `Sent as Secure Chat. Link sent by email to ${n.to}.`, tone: 'info' };
  const reason = n.reason.trim();
  return { text: `Sent as Secure Chat, but the patient was not told: ${reason}${/[.!?]$/.test(reason) ? '' : '.'} Call them, or resend the link once they have a mobile number or email.`, tone: 'warning' };
}

/** The same for "Resend link" (no message was sent): "New link: Link sent by SMS to …", or why none went out. */
export function resendNotice(n: SecureNotification, formatPhone: (e164: string) => string, formatTime: (iso: string) => string): { text: string; tone: 'info' | 'warning' } {
  const told = notificationNotice(n, formatPhone, formatTime)!;
  return { ...told, text: told.text.replace('Sent as Secure Chat. ', 'New link: ').replace('Sent as Secure Chat, but', 'No new link went out:') };
}

// ---- what goes out --------------------------------------------------------------------------

export type SegmentSummary = {
  /** "142 / 160 · 1 segment · GSM-7" */
  counter: string;
  segments: number;
  encoding: SmsEncoding;
  /** "$0.01" (one recipient), or null for an empty message. */
  cost: string | null;
  /** The counter and the cost in one line: "142 / 160 · 1 segment · GSM-7 · ≈ $0.01". */
  line: string;
};

/** What the text costs in SMS terms. */
export function segmentSummary(text: string): SegmentSummary {
  const info = smsSegments(text);
  const capacity = info.perSegment * Math.max(1, info.segments);
  const counter = `${info.unitsUsed} / ${capacity} · ${info.segments} segment${info.segments === 1 ? '' : 's'} · ${info.encoding}`;
  const cost = info.segments ? estimateSmsCost({ segments: info.segments, recipients: 1, channel: 'sms' }).display : null;
  return { counter, segments: info.segments, encoding: info.encoding, cost, line: cost ? `${counter} · ≈ ${cost}` : counter };
}

export type Draft = {
  text: string;
  /** Absent: SMS (the composers' default before the channel choice existed). */
  channel?: Channel;
  /** "Ask the patient to confirm" is ticked: the org's request text is added when sent. */
  requestsConfirmation: boolean;
};

/** What a composer needs to know of the organization and the patient to show what goes out. */
export type ComposeContext = {
  words?: ConfirmationWords;
  /** For the preview: the patient's tokens filled in as the server fills them; absent, tokens stay as typed. */
  template?: TemplateData;
  /** How the surface shows a phone number ({{phone}}): formatPhoneForDisplay, or a number it has formatted already. */
  formatPhone?: (e164: string) => string;
};

type PatientFields = { id: string; firstName?: string | null; lastName?: string | null; preferredName?: string | null; dob?: string | null; phone?: string | null; email?: string | null };

/** The tokens' values for a patient record as the surfaces hold it (nulls for what is missing). */
export function templateData(patient: PatientFields, orgName: string): TemplateData {
  const v = (x: string | null | undefined) => x ?? undefined;
  return {
    patient: { id: patient.id, firstName: v(patient.firstName), lastName: v(patient.lastName), preferredName: v(patient.preferredName), dob: v(patient.dob), phone: v(patient.phone), email: v(patient.email) },
    org: { name: orgName },
  };
}

export type Outgoing = {
  /** The message as the patient will read it (tokens filled in, the confirmation request added). */
  body: string;
  summary: SegmentSummary;
  /** The request text the send adds ("Reply C to confirm or N to decline."), or null when nothing is added. */
  adds: string | null;
  /** Tokens were filled in: the body reads differently from what was typed (worth a preview). */
  filled: boolean;
  /** The SMS count and cost to show, or null for Secure Chat (no segments, no per-message cost). */
  smsLine: string | null;
};

/** The message a draft sends, counted on what goes out rather than on what was typed. */
export function outgoing(draft: Draft, context: ComposeContext = {}): Outgoing {
  const words = context.words ?? DEFAULT_CONFIRMATION_WORDS;
  const typed = draft.text.trim();
  const secure = draft.channel === 'secure';
  if (!typed) return { body: '', summary: segmentSummary(''), adds: null, filled: false, smsLine: secure ? null : segmentSummary('').line };
  const rendered = context.template ? renderTemplateWith(typed, context.template, context.formatPhone ?? ((e164) => e164)).trim() : typed;
  const body = draft.requestsConfirmation ? withConfirmationRequest(rendered, words) : rendered;
  const adds = draft.requestsConfirmation && !endsWithConfirmationRequest(rendered, words) ? confirmationRequestText(words) : null;
  const summary = segmentSummary(body);
  return { body, summary, adds, filled: rendered !== typed, smsLine: secure ? null : summary.line };
}

/** A template asks for confirmation when it says so, or when its body ends with the request text. */
export function templateAsksConfirmation(template: { body: string; requestsConfirmation?: boolean }, words: ConfirmationWords = DEFAULT_CONFIRMATION_WORDS): boolean {
  return Boolean(template.requestsConfirmation) || endsWithConfirmationRequest(template.body, words);
}

/** A line under the text: the preview, the PHI warning, or why the last send was refused. */
export type ComposerNote = { id: 'composer-preview' | 'phi-warning' | 'unknown-tokens' | 'send-error'; tone: 'muted' | 'warn' | 'error'; alert: boolean; text: string; reason: string | null };

/** What the composer says under the text as it stands, in the order to show it. */
export function composerNotes(state: ComposeState, out: Outgoing): ComposerNote[] {
  const notes: ComposerNote[] = [];
  if (out.filled) notes.push({ id: 'composer-preview', tone: 'muted', alert: false, text: `Preview: ${out.body}`, reason: null });
  const phi = state.channel === 'secure' ? [] : detectPhi(out.body);
  if (phi.length) notes.push({ id: 'phi-warning', tone: 'warn', alert: false, text: `${describePhi(phi)} Send it as Secure Chat.`, reason: null });
  const unknown = unknownTokensMessage(state.text);
  if (unknown) notes.push({ id: 'unknown-tokens', tone: 'error', alert: true, text: unknown, reason: null });
  if (state.problem) notes.push({ id: 'send-error', tone: 'error', alert: true, text: state.problem.text, reason: state.problem.reason });
  return notes;
}

/** Tokens nothing fills in would go out as typed: which, and what to use instead (null when there are none). */
export function unknownTokensMessage(text: string): string | null {
  const unknown = unknownTokens(text);
  if (!unknown.length) return null;
  const one = unknown.length === 1;
  return `${one ? 'Unknown token' : 'Unknown tokens'} ${unknown.join(', ')}: ${one ? 'it' : 'they'} would be sent as written. Use one of the Personalize tokens.`;
}

// ---- the confirmation chip on a sent request ------------------------------------------------

export type ConfirmationChip = { label: string; tone: 'ok' | 'error' | 'pending'; title: string | null };

/** Confirmed / Declined / Awaiting C/N on an outbound request; null for other messages. */
export function confirmationChip(m: { requestsConfirmation?: boolean; confirmation?: string | null }, words: ConfirmationWords = DEFAULT_CONFIRMATION_WORDS): ConfirmationChip | null {
  if (!m.requestsConfirmation) return null;
  if (m.confirmation === 'confirmed') return { label: 'Confirmed', tone: 'ok', title: null };
  if (m.confirmation === 'declined') return { label: 'Declined', tone: 'error', title: null };
  const [confirm, decline] = [words.confirm[0] ?? 'C', words.decline[0] ?? 'N'];
  return { label: `Awaiting ${confirm}/${decline}`, tone: 'pending', title: `Asked the patient to reply ${confirm} to confirm or ${decline} to decline.` };
}

// ---- keys -----------------------------------------------------------------------------------

/** A fresh key per composed message; a retry of the same message reuses it, so it is never sent twice. */
export function newIdempotencyKey(): string {
  const c = globalThis.crypto;
  if (typeof c?.randomUUID === 'function') return c.randomUUID();
  // randomUUID exists only in secure contexts (a plain-http LAN address is not one).
  const bytes = c.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

// ---- refusals and blocks --------------------------------------------------------------------

/** A refused send as the server reports it (`data.reason`, the message, `data.details`). */
export type Refusal = { reason: string | null; message: string; details?: Record<string, unknown> };

/** A question the sender answers before the message goes out. */
export type Question = { kind: 'phi'; message: string } | { kind: 'quiet'; message: string; nextSendTime: string | null };

/** Why nothing (more) can be sent, and what the person can do instead. */
export type Problem = {
  reason: string | null;
  /** "Opted out" (the shared label), or null for a reason we do not know. */
  label: string | null;
  message: string;
  /** "Use Secure Chat or call them.", when there is another way to reach the patient. */
  instead: string | null;
  /** The composer stays disabled until the patient or the setup changes (not just this text). */
  blocksComposer: boolean;
  /** The message and what to do instead, as one sentence pair to show. */
  text: string;
};

const INSTEAD: Partial<Record<BlockReason, string>> = {
  opted_out: 'Use Secure Chat or call them.',
  blocked: 'Call them, or use Secure Chat.',
  landline: 'Call them, or add a mobile number to their profile.',
  no_phone: 'Add a mobile number to their profile, or use Secure Chat.',
};

/** Reasons that hold for every message to this patient from this number, not only this text. */
const BLOCKS_COMPOSER: readonly BlockReason[] = ['no_number', 'number_released', 'plan', 'policy', 'no_phone', 'opted_out', 'blocked', 'landline', 'not_sms'];

/** What the composer shows for a reason and the server's message (a refusal, or why SMS is unavailable). */
export function problemOf(refusal: Refusal): Problem {
  const reason = isBlockReason(refusal.reason) ? refusal.reason : null;
  const instead = (reason && INSTEAD[reason]) ?? null;
  const message = refusal.message.trim();
  return {
    reason: refusal.reason,
    label: reason ? BLOCK_REASON_LABELS[reason] : null,
    message,
    instead,
    blocksComposer: reason !== null && BLOCKS_COMPOSER.includes(reason),
    text: instead ? `${message}${/[.!?]$/.test(message) ? '' : '.'} ${instead}` : message,
  };
}

/**
 * "Phil Lopez opted out by replying STOP to (415) 555-0100 on Nov 30, 2026. They can text START
 * to opt back in.": the server's refusal and the Inbox banner say it the same way.
 */
export function optedOutMessage(o: { who?: string; keyword: string; number?: string | null; on?: string | null }): string {
  const to = o.number ? ` to ${o.number}` : '';
  const on = o.on ? ` on ${o.on}` : '';
  return `${o.who ?? 'The patient'} opted out by replying ${o.keyword}${to}${on}. They can text START to opt back in.`;
}

// ---- the send flow --------------------------------------------------------------------------

/** What the answers so far add to the next send of the same message. */
export type SendFlags = { confirmPhi?: true; quietHours?: 'send_now' | 'schedule' };

export type Answer = 'send_secure' | 'send_anyway' | 'send_now' | 'schedule';

/** One composed message: its key, what was answered for it, and what is asked or wrong now. */
export type ComposeState = Draft & {
  key: string;
  flags: SendFlags;
  asked: Question | null;
  problem: Problem | null;
};

export function startComposing(text = '', key: string = newIdempotencyKey()): ComposeState {
  return { text, requestsConfirmation: false, key, flags: {}, asked: null, problem: null };
}

/** A different text (or toggle) is a different message: new key, and earlier answers do not carry over. */
export function edited(state: ComposeState, change: Partial<Draft>, key: string = newIdempotencyKey()): ComposeState {
  return { ...state, ...change, key, flags: {}, asked: null, problem: null };
}

/**
 * The sender's answer to the question asked: the flags the resend carries (same key). "Send as
 * Secure Chat" makes it another message on another channel (new key, no SMS answers carried).
 */
export function answered(state: ComposeState, answer: Answer, key: string = newIdempotencyKey()): ComposeState {
  if (answer === 'send_secure') return { ...state, channel: 'secure', key, flags: {}, asked: null, problem: null };
  const flags: SendFlags = answer === 'send_anyway' ? { ...state.flags, confirmPhi: true } : { ...state.flags, quietHours: answer };
  return { ...state, flags, asked: null, problem: null };
}

/** Cancel on the question: nothing is sent, the text stays. */
export function dismissed(state: ComposeState): ComposeState {
  return { ...state, asked: null };
}

export type SendRequest = {
  body: string;
  channel?: 'secure';
  idempotencyKey: string;
  attachmentIds?: string[];
  requestsConfirmation?: true;
  confirmPhi?: true;
  quietHours?: 'send_now' | 'schedule';
};

/** What to send for this state, or null when there is nothing to send. */
export function sendRequest(state: ComposeState, attachmentIds: readonly string[] = []): SendRequest | null {
  const body = state.text.trim();
  // Files go only by Secure Chat, and a secure message may be files alone.
  const files = state.channel === 'secure' && attachmentIds.length ? { attachmentIds: [...attachmentIds] } : {};
  if (!body && !('attachmentIds' in files)) return null;
  if (state.channel === 'secure') return { body, channel: 'secure', idempotencyKey: state.key, ...files, ...(state.requestsConfirmation ? { requestsConfirmation: true } : {}) };
  return { body, idempotencyKey: state.key, ...(state.requestsConfirmation ? { requestsConfirmation: true } : {}), ...state.flags };
}

/** The server refused: PHI and quiet hours are asked (a resend with the answer follows); the rest is final. */
export function refused(state: ComposeState, refusal: Refusal): ComposeState {
  if (refusal.reason === 'phi') return { ...state, asked: { kind: 'phi', message: refusal.message }, problem: null };
  if (refusal.reason === 'quiet_hours') {
    const next = refusal.details?.nextSendTime;
    return { ...state, asked: { kind: 'quiet', message: refusal.message, nextSendTime: typeof next === 'string' ? next : null }, problem: null };
  }
  return { ...state, asked: null, problem: problemOf(refusal) };
}

/** Sent: the composer is empty and ready for the next message (a new key), on the same channel. */
export function sent(key: string = newIdempotencyKey(), channel?: Channel): ComposeState {
  return { ...startComposing('', key), ...(channel ? { channel } : {}) };
}

// ---- how a question is asked ----------------------------------------------------------------

export type Choice = {
  /** What choosing it does: an answer (then the resend), or null to cancel. */
  answer: Answer | null;
  /** Names the choice for tests and styles: cancel, send-secure, send-anyway, send-now, schedule. */
  id: string;
  label: string;
  tone: 'plain' | 'primary' | 'danger';
  /** Why it cannot be chosen yet, or null. */
  unavailable: string | null;
  /** The safe choice, focused first. */
  preferred: boolean;
  /** phi-send-anyway, quiet-schedule, …; none for Cancel. */
  testId: string | null;
};

export type QuestionView = { title: string; message: string; note: string | null; choices: Choice[]; testId: string };

function choices(kind: Question['kind'], list: [id: string, answer: Answer | null, label: string, tone: Choice['tone'], more?: Partial<Choice>][]): Choice[] {
  return list.map(([id, answer, label, tone, more]) => ({ id, answer, label, tone, unavailable: null, preferred: false, testId: id === 'cancel' ? null : `${kind}-${id}`, ...more }));
}

/** The dialog for a question, the same on every surface; `formatTime` renders the quiet-hours end its way. */
export function questionView(question: Question, formatTime: (iso: string) => string): QuestionView {
  if (question.kind === 'phi') {
    return {
      title: 'This looks like PHI',
      testId: 'phi-dialog',
      message: question.message,
      note: 'Sending PHI by plain SMS is a HIPAA violation. Secure Chat keeps it on CareText: the patient gets a link and verifies their date of birth. Send it as SMS only if you are sure it contains none (this is recorded).',
      choices: choices('phi', [
        ['send-secure', 'send_secure', 'Send as Secure Chat', 'primary', { preferred: true }],
        ['send-anyway', 'send_anyway', 'Send as SMS anyway', 'danger'],
        ['cancel', null, 'Cancel', 'plain'],
      ]),
    };
  }
  return {
    title: "It's quiet hours for this patient",
    testId: 'quiet-hours-dialog',
    message: question.message,
    note: null,
    choices: choices('quiet', [
      ['cancel', null, 'Cancel', 'plain'],
      ['send-now', 'send_now', 'Send now anyway', 'plain'],
      ['schedule', 'schedule', question.nextSendTime ? `Schedule for ${formatTime(question.nextSendTime)}` : 'Schedule for when quiet hours end', 'primary', { preferred: true }],
    ]),
  };
}

/** A choice's button state: disabled while a send is in flight or when unavailable, focused first when preferred. */
export function choiceAttributes(c: Choice, pending: boolean): { disabled: boolean; title?: string; 'data-autofocus'?: true; 'data-testid'?: string } {
  return {
    disabled: (pending && c.answer !== null) || c.unavailable !== null,
    ...(c.unavailable ? { title: c.unavailable } : {}),
    ...(c.preferred ? { 'data-autofocus': true as const } : {}),
    ...(c.testId ? { 'data-testid': c.testId } : {}),
  };
}

/** `snippet` in place of the selection (or at the cursor), spaced from a word before it; and where the cursor goes. */
export function insertAt(text: string, selection: { start: number; end: number } | null, snippet: string): { text: string; cursor: number } {
  const start = selection?.start ?? text.length;
  const end = selection?.end ?? text.length;
  const before = text.slice(0, start);
  const spaced = before && !/\s$/.test(before) ? ` ${snippet}` : snippet;
  return { text: before + spaced + text.slice(end), cursor: start + spaced.length };
}

/** What a successful send tells the sender: queued offline (the extension's outbox) or held for quiet hours. */
export function sentNotice(result: { queuedOffline?: boolean; sendAfter: string | Date | null }, formatTime: (iso: string) => string): string | null {
  if (result.queuedOffline) return 'Saved to the outbox: it goes out once CareText is reachable again.';
  if (result.sendAfter) return `Scheduled for ${formatTime(new Date(result.sendAfter).toISOString())}, when quiet hours end.`;
  return null;
}
