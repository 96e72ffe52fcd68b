export type Piece = { kind: 'text'; text: string } | { kind: 'link'; href: string };

const URL_PATTERN = /https?:\/\/[^\s<>"']+/g;

/**
 * Splits mail text into plain text and http(s) links so links render as anchors without ever
 * injecting the mail's HTML. Sentence punctuation after a URL stays text.
 */
export function linkify(text: string): Piece[] {
  const pieces: Piece[] = [];
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    let href = match[0];
    const trailing = /[.,;:!?)\]]+$/.exec(href);
    if (trailing && !(trailing[0].startsWith(')') && href.includes('('))) href = href.slice(0, -trailing[0].length);
    const start = match.index;
    if (start > last) pieces.push({ kind: 'text', text: text.slice(last, start) });
    pieces.push({ kind: 'link', href });
    last = start + href.length;
  }
  if (last < text.length) pieces.push({ kind: 'text', text: text.slice(last) });
  return pieces;
}
