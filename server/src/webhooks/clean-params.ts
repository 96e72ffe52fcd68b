/**
 * Carrier webhooks carry whatever the patient's phone or the carrier sent. NUL and other control
 * characters (C0 except tab, newline and carriage return; DEL; C1) and unpaired surrogates
 * cannot be stored in PostgreSQL text or jsonb, and nobody needs them: they are removed (lone
 * surrogates become U+FFFD), so the message is stored instead of failing with a 500 that makes
 * the carrier retry and then drop it.
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/g;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function cleanText(text: string): string {
  return text.replace(CONTROL, '').replace(LONE_SURROGATE, '\uFFFD');
}

/** Keys and values alike; repeated keys (arrays) keep their first value, as Twilio sends one. */
export function cleanParams(params: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [key, value] of Object.entries(params)) {
    const first = Array.isArray(value) ? value[0] : value;
    if (typeof first !== 'string') continue;
    const k = cleanText(key);
    if (k && !(k in out)) out[k] = cleanText(first);
  }
  return out;
}
