/**
 * How long a hidden tab keeps its live streams: switching to the EHR and back within it costs
 * nothing; a tab left in the background longer gives its connections back.
 */
export const HIDDEN_GRACE_MS = 60_000;

/**
 * Keeps a live stream (`open` returns its close function) open while the page is visible, and
 * for `graceMs` after it is hidden. Over HTTP/1.1 a browser keeps at most 6 connections per
 * server for all its tabs, and each open stream holds one for good: without this, two or three
 * tabs of the app left open in the background leave the next one unable to load anything.
 * Reopened when the page shows again, then `onReopened()` (changes were missed meanwhile: the
 * caller re-reads what it shows). Returns the function that closes it for good.
 */
export function whileVisible(open: () => () => void, onReopened: () => void, graceMs = HIDDEN_GRACE_MS, doc: Document = document): () => void {
  let close: (() => void) | null = open();
  let timer: ReturnType<typeof setTimeout> | null = null;
  const onChange = () => {
    if (doc.visibilityState === 'hidden') {
      if (close && !timer) {
        timer = setTimeout(() => {
          timer = null;
          close?.();
          close = null;
        }, graceMs);
      }
      return;
    }
    if (timer) clearTimeout(timer);
    timer = null;
    if (!close) {
      close = open();
      onReopened();
    }
  };
  doc.addEventListener('visibilitychange', onChange);
  return () => {
    doc.removeEventListener('visibilitychange', onChange);
    if (timer) clearTimeout(timer);
    close?.();
    close = null;
  };
}
