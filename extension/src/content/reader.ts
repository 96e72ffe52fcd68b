import { type LocalSettings, LOCAL_DEFAULTS } from '../local-settings';
import type { PageList, PageReading } from '../ehr/registry';
import type { PageReport, ToContent } from '../protocol';
import { HOST_ID, watchPage } from './page-watch';

performance.mark('caretext:content-start');

/**
 * The content script runs only on EHR origins the organization approved and the user granted
 * (registered by the background). It reads the patient on screen and reports it to the
 * background; it renders no patient data into the page. The sidebar is an extension page in an
 * iframe (chrome-extension:// origin): the page's scripts cannot read or script it, and it gets
 * the patient from the background, never from the page.
 */
/**
 * Open: the panel and its tab, full height. Closed: only the toggle tab, so the frame covers no
 * more of the page than the tab does (the sidebar's CSS puts the closed tab at the frame's top,
 * the same spot on screen: 38% down the viewport).
 */
function layout(frame: HTMLIFrameElement, open: boolean): void {
  const set = (property: string, value: string) => frame.style.setProperty(property, value, 'important');
  set('width', open ? '430px' : '52px');
  set('top', open ? '0' : 'calc(38vh - 8px)');
  set('height', open ? '100vh' : '140px');
}

function mountFrame(open: boolean): HTMLIFrameElement {
  const frame = document.createElement('iframe');
  frame.id = HOST_ID;
  frame.title = 'CareText';
  frame.src = chrome.runtime.getURL('src/sidebar/index.html');
  // `color-scheme: normal` on both sides keeps the frame transparent around the panel whatever
  // scheme the EHR uses.
  for (const [property, value] of Object.entries({
    position: 'fixed',
    right: '0',
    border: '0',
    margin: '0',
    padding: '0',
    background: 'transparent',
    'color-scheme': 'normal',
    'z-index': '2147483647',
    display: 'block',
  })) {
    frame.style.setProperty(property, value, 'important');
  }
  layout(frame, open);
  document.documentElement.append(frame);
  return frame;
}

/** A frame whose ancestors are all of its own origin (an EHR's own frames, not an ad's). */
function sameOriginFrame(): boolean {
  const ancestors = Array.from(location.ancestorOrigins ?? []);
  return ancestors.length > 0 && ancestors.every((origin) => origin === location.origin);
}

async function loadSettings(): Promise<LocalSettings | null> {
  const settings = (await chrome.storage.local.get(LOCAL_DEFAULTS)) as LocalSettings;
  // The CareText web app is not an EHR.
  return settings.serverOrigin && location.origin === settings.serverOrigin ? null : settings;
}

async function start() {
  const top = window.top === window;
  if (!top && !sameOriginFrame()) return;
  const settings = await loadSettings();
  if (!settings) return;

  let frame: HTMLIFrameElement | null = null;
  let last: { reading: PageReading | null; list: PageList | null } = { reading: null, list: null };
  const report = (reading: PageReading | null, list: PageList | null) => {
    last = { reading, list };
    void chrome.runtime.sendMessage({ type: 'page.reading', reading, list } satisfies PageReport).catch(() => undefined);
  };
  const ensureFrame = () => {
    if (!top || frame) return;
    frame = mountFrame(settings.sidebarOpen);
    if (!performance.getEntriesByName('caretext:sidebar-mounted').length) performance.mark('caretext:sidebar-mounted');
  };

  chrome.runtime.onMessage.addListener((message: ToContent, sender) => {
    // Only the background talks to us (never a page, never another tab).
    if (sender.id !== chrome.runtime.id || sender.tab) return;
    if (message?.type === 'page.report') report(last.reading, last.list);
    // A frame reported a patient: the top page shows the sidebar for it.
    if (message?.type === 'sidebar.show') ensureFrame();
    if (message?.type === 'sidebar.layout' && frame) layout(frame, message.open);
  });

  const watch = watchPage(settings.ehrAdapters, (reading, list) => {
    report(reading, list);
    if (reading || list) ensureFrame();
  });
  chrome.storage.onChanged.addListener((changes, area) => {
    if (area === 'local' && changes.ehrAdapters) watch.setDefinitions((changes.ehrAdapters.newValue as LocalSettings['ehrAdapters']) ?? []);
  });
  addEventListener('pagehide', () => report(null, null));
  if (!top) return;
  // An EHR that re-renders its document can drop our frame: put it back.
  new MutationObserver(() => {
    if (frame && !frame.isConnected) document.documentElement.append(frame);
  }).observe(document.documentElement, { childList: true });
}

void start();
