import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { whileVisible } from './visibility';

/** A document whose visibility the test sets. */
function fakeDocument() {
  const doc = new EventTarget() as EventTarget & { visibilityState: DocumentVisibilityState };
  doc.visibilityState = 'visible';
  return {
    doc: doc as unknown as Document,
    set(state: DocumentVisibilityState) {
      doc.visibilityState = state;
      doc.dispatchEvent(new Event('visibilitychange'));
    },
  };
}

describe('a live stream while the tab is visible', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('stays open through a short switch away, closes after the grace period, reopens (and re-reads) when shown', () => {
    const page = fakeDocument();
    const closed = vi.fn();
    const open = vi.fn(() => closed);
    const reread = vi.fn();
    const stop = whileVisible(open, reread, 60_000, page.doc);
    expect(open).toHaveBeenCalledTimes(1);

    page.set('hidden');
    vi.advanceTimersByTime(59_000);
    page.set('visible');
    vi.advanceTimersByTime(120_000);
    expect(closed).not.toHaveBeenCalled();
    expect(reread).not.toHaveBeenCalled();

    page.set('hidden');
    vi.advanceTimersByTime(60_000);
    expect(closed).toHaveBeenCalledTimes(1);
    expect(open).toHaveBeenCalledTimes(1);

    page.set('visible');
    expect(open).toHaveBeenCalledTimes(2);
    expect(reread).toHaveBeenCalledTimes(1);
    page.set('visible');
    expect(open).toHaveBeenCalledTimes(2);

    stop();
    expect(closed).toHaveBeenCalledTimes(2);
    page.set('hidden');
    page.set('visible');
    vi.advanceTimersByTime(120_000);
    expect(open).toHaveBeenCalledTimes(2);
  });

  it('closing for good while hidden cancels the pending close and opens nothing later', () => {
    const page = fakeDocument();
    const closed = vi.fn();
    const open = vi.fn(() => closed);
    const stop = whileVisible(open, () => undefined, 1_000, page.doc);
    page.set('hidden');
    stop();
    vi.advanceTimersByTime(5_000);
    page.set('visible');
    expect(closed).toHaveBeenCalledTimes(1);
    expect(open).toHaveBeenCalledTimes(1);
  });
});
