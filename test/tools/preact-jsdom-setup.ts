import { afterAll } from 'vitest';
// Used by the web app's and the extension's unit tests (setupFiles in their vitest configs).

/**
 * Preact runs effects after paint: a requestAnimationFrame raced by a 35 ms timeout, and the
 * timeout calls cancelAnimationFrame. A file whose last test rendered right before the end left
 * that timeout pending; on a loaded machine it fired after jsdom was torn down
 * ("cancelAnimationFrame is not defined", an unhandled error that fails the run). Each file
 * waits past it before its environment goes (timers fire in expiry order, so 60 ms set now
 * expires after any 35 ms one set earlier).
 */
// The real timer, taken before any test fakes them.
const realSetTimeout = globalThis.setTimeout;
afterAll(() => new Promise<void>((resolve) => void realSetTimeout(resolve, 60)));
