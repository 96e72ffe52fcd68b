import { CONFIRM_KEYWORDS, DECLINE_KEYWORDS } from './opt-keywords.js';

/** The organization's words that answer a confirmation request (Settings → Automatic replies). */
export type ConfirmationWords = { confirm: readonly string[]; decline: readonly string[] };

export const DEFAULT_CONFIRMATION_WORDS: ConfirmationWords = { confirm: CONFIRM_KEYWORDS, decline: DECLINE_KEYWORDS };

/**
 * "Reply C to confirm or N to decline.": built from the first word of each of the org's lists,
 * so what a patient is told to send is always a word the server recognises.
 */
export function confirmationRequestText(words: ConfirmationWords = DEFAULT_CONFIRMATION_WORDS): string {
  const confirm = words.confirm[0] ?? CONFIRM_KEYWORDS[0];
  const decline = words.decline[0] ?? DECLINE_KEYWORDS[0];
  return `Reply ${confirm} to confirm or ${decline} to decline.`;
}

/**
 * The body as sent when it asks the patient to confirm: the request text is added once at the end
 * (a body that already ends with it, e.g. from a template, is left as it is). Server and composers
 * call this same function, so the preview and its segment count are what goes out.
 */
export function withConfirmationRequest(body: string, words: ConfirmationWords = DEFAULT_CONFIRMATION_WORDS): string {
  const request = confirmationRequestText(words);
  const trimmed = body.trimEnd();
  if (endsWithConfirmationRequest(trimmed, words)) return trimmed;
  if (!trimmed) return request;
  const joiner = /[.!?]$/.test(trimmed) ? ' ' : '. ';
  return `${trimmed}${joiner}${request}`;
}

/** The body already ends with the org's request (a template written with it, or typed by hand). */
export function endsWithConfirmationRequest(body: string, words: ConfirmationWords = DEFAULT_CONFIRMATION_WORDS): boolean {
  return body.trimEnd().toLowerCase().endsWith(confirmationRequestText(words).toLowerCase());
}
