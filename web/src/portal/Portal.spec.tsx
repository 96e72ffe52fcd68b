import { act, cleanup, render, screen } from '@testing-library/preact';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Portal, POLL_MS } from './Portal';

/** The portal API as the page sees it: one answer per path, changeable mid-test. */
let answers: Record<string, unknown>;
const calls: string[] = [];
const clinicMessage = { id: 'm1', from: 'clinic', sender: 'Dr Lee', body: 'Your biopsy was benign.', at: '2026-12-01T10:00:00Z', readAt: null, files: [] };

const settle = (ms = 0) =>
  act(async () => {
    await vi.advanceTimersByTimeAsync(ms);
  });
const count = (path: string) => calls.filter((c) => c === path).length;
let visibility: DocumentVisibilityState = 'visible';

beforeEach(() => {
  vi.useFakeTimers();
  calls.length = 0;
  visibility = 'visible';
  vi.spyOn(document, 'visibilityState', 'get').mockImplementation(() => visibility);
  answers = {
    open: { state: 'verified', org: 'Bayview' },
    conversation: { state: 'conversation', org: 'Bayview', version: 'v1', patientName: 'Amina', repliesEnabled: true, messages: [clinicMessage] },
    version: { state: 'version', version: 'v1' },
  };
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string) => {
      const path = url.replace('/api/portal/', '');
      calls.push(path);
      return new Response(JSON.stringify(answers[path] ?? { state: 'invalid', message: 'no' }), { headers: { 'content-type': 'application/json' } });
    }),
  );
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  vi.useRealTimers();
});

async function openConversation() {
  render(<Portal token="tok-tok-tok-tok-tok-tok-tok" />);
  await settle();
  await settle(50);
  expect(screen.getByTestId('portal-conversation').textContent).toContain('Your biopsy was benign.');
}

describe('the portal page while open', () => {
  it('polls the version every few seconds and reloads only when it changed: a recall shows as "Message recalled"', async () => {
    // "Prompt": a recall shows within seconds, not on a slow refresh.
    expect(POLL_MS).toBeLessThanOrEqual(5_000);
    await openConversation();
    expect(count('conversation')).toBe(1);
    // Nothing changed: the poll alone, no reload (no new read receipts, no traffic).
    await settle(POLL_MS);
    expect(count('version')).toBe(1);
    expect(count('conversation')).toBe(1);

    // Staff recall the message.
    answers.version = { state: 'version', version: 'v2' };
    answers.conversation = { ...(answers.conversation as object), version: 'v2', messages: [{ ...clinicMessage, body: '', recalled: true }] };
    await settle(POLL_MS);
    await settle(50);
    expect(count('conversation')).toBe(2);
    expect(screen.getByTestId('portal-recalled').textContent).toBe('Message recalled');
    expect(screen.queryByText('Your biopsy was benign.')).toBeNull();
    // Steady again.
    await settle(POLL_MS);
    expect(count('conversation')).toBe(2);
  });

  it('does not poll while hidden, and checks at once when shown again', async () => {
    await openConversation();
    visibility = 'hidden';
    await settle(POLL_MS * 3);
    expect(count('version')).toBe(0);
    answers.version = { state: 'version', version: 'v2' };
    visibility = 'visible';
    await act(async () => {
      document.dispatchEvent(new Event('visibilitychange'));
      await vi.advanceTimersByTimeAsync(50);
    });
    expect(count('version')).toBe(1);
    expect(count('conversation')).toBe(2);
  });

  it('a link replaced (or locked, or expired) while the page is open: the page says so and the messages go', async () => {
    await openConversation();
    answers.version = { state: 'replaced', org: 'Bayview' };
    await settle(POLL_MS);
    expect(screen.getByTestId('portal-replaced')).toBeTruthy();
    expect(screen.queryByText('Your biopsy was benign.')).toBeNull();
  });
});

describe('links that no longer work say how to get a new one', () => {
  it.each([
    ['expired', { state: 'expired', org: 'Bayview' }, 'portal-expired', /Ask Bayview to resend the link: you will get a new one by text or email\./],
    ['locked', { state: 'locked', org: 'Bayview', until: '2026-12-01T11:00:00Z' }, 'portal-locked', /try again after .+, or ask Bayview to send you a new link\./],
    ['replaced', { state: 'replaced', org: 'Bayview' }, 'portal-replaced', /Open the most recent message from Bayview, or ask them to resend the link\./],
  ])('%s: its page, and nothing of the conversation is asked for', async (_name, answer, testId, words) => {
    answers.open = answer;
    render(<Portal token="tok-tok-tok-tok-tok-tok-tok" />);
    await settle();
    expect(screen.getByTestId(testId).textContent).toMatch(words);
    expect(calls).toEqual(['open']);
  });
});
