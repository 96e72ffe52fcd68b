/**
 * Patient lookups per tab (and overall) in a sliding window. A page that rewrites its MRN in a
 * loop to enumerate patients gets a few answers, then a refusal, however fast it changes.
 */
export const LOOKUPS_PER_TAB = 10;
export const LOOKUPS_OVERALL = 40;
export const LOOKUP_WINDOW_MS = 60_000;

export class LookupLimiter {
  private readonly perTab = new Map<number, number[]>();
  private overall: number[] = [];

  constructor(
    private readonly now: () => number = Date.now,
    private readonly limits = { perTab: LOOKUPS_PER_TAB, overall: LOOKUPS_OVERALL, windowMs: LOOKUP_WINDOW_MS },
  ) {}

  /** Counts a lookup from `tabId` and says whether it may go out. */
  take(tabId: number): boolean {
    const now = this.now();
    const since = now - this.limits.windowMs;
    const tab = (this.perTab.get(tabId) ?? []).filter((t) => t > since);
    this.overall = this.overall.filter((t) => t > since);
    if (tab.length >= this.limits.perTab || this.overall.length >= this.limits.overall) {
      this.perTab.set(tabId, tab);
      return false;
    }
    tab.push(now);
    this.overall.push(now);
    this.perTab.set(tabId, tab);
    return true;
  }

  forget(tabId: number): void {
    this.perTab.delete(tabId);
  }
}
