import type { AdapterDefinition } from '../ehr/admin-defined';
import { contextKey } from '../ehr/patient-context';
import { adaptersWith, listKey, type PageList, type PageReading, readPatient, readPatientList } from '../ehr/registry';

export const HOST_ID = 'caretext-sidebar-host';
const SETTLE_MS = 150;
const MAX_SETTLE_MS = 2_000;
const WATCH = { childList: true, subtree: true, characterData: true };

/**
 * Reads the patient on screen now and whenever it may have changed: in-page navigation
 * (Navigation API, popstate, hashchange) and DOM changes, ignoring our own sidebar. Nothing
 * polls, and the page's own scripts keep the main thread:
 * - the first change after a read schedules the next read and stops observing until then, so a
 *   burst of DOM work (an SPA rendering a chart) costs one callback, not one per mutation;
 * - a page that keeps changing without changing patient (a ticking clock) is read less and less
 *   often, up to every 2 s; in-page navigation or a new patient goes back to 150 ms;
 * - a page that is slow to read waits at least 10x its last read between reads;
 * - a hidden tab is not observed at all, and is read when it shows again.
 * `onChange` fires only when the reading (the patient, or the list of patients) changes.
 */
export function watchPage(definitions: AdapterDefinition[], onChange: (reading: PageReading | null, list: PageList | null) => void, win: Window = window) {
  const doc = win.document;
  let adapters = adaptersWith(definitions);
  let lastKey = '';
  let timer: ReturnType<typeof setTimeout> | null = null;
  let settleMs = SETTLE_MS;
  let readCostMs = 0;
  let stopped = false;

  const observer = new MutationObserver((records) => {
    for (const r of records) {
      const target = r.target as Element;
      if (target.id === HOST_ID || (r.addedNodes.length === 1 && (r.addedNodes[0] as Element).id === HOST_ID)) continue;
      return schedule();
    }
  });

  function schedule(navigated = false) {
    if (navigated) settleMs = SETTLE_MS;
    if (timer) return;
    observer.disconnect(); // nothing to record until we read
    timer = setTimeout(readNow, Math.max(settleMs, 10 * readCostMs));
  }

  function readNow() {
    timer = null;
    if (stopped || doc.hidden) return; // read again when the tab shows (visibilitychange)
    const started = performance.now();
    const url = new URL(win.location.href);
    const reading = readPatient(url, doc, adapters);
    const list = readPatientList(url, doc, adapters);
    readCostMs = performance.now() - started;
    observer.observe(doc.documentElement, WATCH);
    const key = reading || list ? `${reading ? `${reading.adapterId}:${contextKey(reading.patient)}` : ''}\n${listKey(list)}` : '';
    if (key === lastKey) {
      settleMs = Math.min(MAX_SETTLE_MS, settleMs * 2);
      return;
    }
    settleMs = SETTLE_MS;
    lastKey = key;
    onChange(reading, list);
  }

  const navigated = () => schedule(true);
  const onVisibility = () => {
    if (!doc.hidden) schedule(true);
  };
  const navigation = (win as Window & { navigation?: EventTarget }).navigation;
  navigation?.addEventListener('navigatesuccess', navigated);
  win.addEventListener('popstate', navigated);
  win.addEventListener('hashchange', navigated);
  doc.addEventListener('visibilitychange', onVisibility);

  readNow();
  return {
    /** The admin-defined adapters changed (a sync from the server). */
    setDefinitions(next: AdapterDefinition[]) {
      adapters = adaptersWith(next);
      if (timer) clearTimeout(timer);
      readNow();
    },
    stop() {
      stopped = true;
      observer.disconnect();
      navigation?.removeEventListener('navigatesuccess', navigated);
      win.removeEventListener('popstate', navigated);
      win.removeEventListener('hashchange', navigated);
      doc.removeEventListener('visibilitychange', onVisibility);
      if (timer) clearTimeout(timer);
    },
  };
}
