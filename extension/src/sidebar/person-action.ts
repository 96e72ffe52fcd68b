/**
 * The shadow root is open, so the EHR page's scripts can reach our buttons and call .click():
 * sending and creating patients happen only on a person's click or keypress (isTrusted).
 * Unit tests (jsdom cannot make trusted events) are the one exception; the production build
 * folds this to `event.isTrusted`.
 */
export function byPerson(event: Event): boolean {
  return event.isTrusted || import.meta.env.MODE === 'test';
}
