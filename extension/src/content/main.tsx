import { render } from 'preact';
import { contextKey } from '../ehr/patient-context';
import type { PageReading } from '../ehr/registry';
import { type LocalSettings, LOCAL_DEFAULTS } from '../local-settings';
import type { FrameReading } from '../protocol';
import { HOST_ID, watchPage } from './page-watch';
import { Sidebar } from './Sidebar';
import css from './sidebar.css?inline';

performance.mark('caretext:content-start');

/**
 * The sidebar lives in an open shadow root on a fixed host element: the EHR's styles cannot
 * reach in (`:host { all: initial }` stops inherited ones too) and ours cannot leak out. It is
 * mounted only on pages where an adapter reads a patient.
 */
function mount(): { root: HTMLElement; host: HTMLElement } {
  const host = document.createElement('div');
  host.id = HOST_ID;
  const shadow = host.attachShadow({ mode: 'open' });
  const style = document.createElement('style');
  style.textContent = css;
  const root = document.createElement('div');
  root.className = 'ct';
  shadow.append(style, root);
  document.body.append(host);
  return { root, host };
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

function followAdapterSync(watch: ReturnType<typeof watchPage>) {
  chrome.storage.onChanged.addListener((changes, area) => {
    if (area === 'local' && changes.ehrAdapters) watch.setDefinitions((changes.ehrAdapters.newValue as LocalSettings['ehrAdapters']) ?? []);
  });
}

/**
 * In a frame (OpenEMR shows the dashboard in an iframe inside its tabbed shell): read the
 * patient and hand it to the top frame, through the background; the sidebar lives on top.
 */
async function startInFrame() {
  if (!sameOriginFrame()) return;
  const settings = await loadSettings();
  if (!settings) return;
  const tell = (reading: PageReading | null) => void chrome.runtime.sendMessage({ type: 'frame.reading', reading }).catch(() => undefined);
  followAdapterSync(watchPage(settings.ehrAdapters, tell));
  addEventListener('pagehide', () => tell(null));
}

async function startOnTop() {
  const settings = await loadSettings();
  if (!settings) return;

  let mounted: { root: HTMLElement; host: HTMLElement } | null = null;
  let own: PageReading | null = null;
  const frames = new Map<number, PageReading>();
  let shown = '';
  const show = () => {
    // The page's own reading first, else the frame that reported last.
    const reading = own ?? [...frames.values()].at(-1) ?? null;
    const key = reading ? contextKey(reading.patient) : '';
    if (key === shown && mounted) return;
    shown = key;
    if (!reading && !mounted) return;
    mounted ??= mount();
    render(<Sidebar reading={reading} initiallyOpen={settings.sidebarOpen} />, mounted.root);
    if (reading && !performance.getEntriesByName('caretext:sidebar-visible').length) performance.mark('caretext:sidebar-visible');
  };

  chrome.runtime.onMessage.addListener((message: FrameReading, sender) => {
    // Only the background relays frames' readings (never a page, never another tab).
    if (sender.id !== chrome.runtime.id || sender.tab || message?.type !== 'frame.reading') return;
    frames.delete(message.frameId);
    if (message.reading) frames.set(message.frameId, message.reading);
    show();
  });
  const watch = watchPage(settings.ehrAdapters, (reading) => {
    own = reading;
    show();
  });
  followAdapterSync(watch);
  // An EHR that re-renders <body> can drop our host: put it back (childList of body only).
  new MutationObserver(() => {
    if (mounted && !mounted.host.isConnected) document.body.append(mounted.host);
  }).observe(document.body, { childList: true });
}

void (window.top === window ? startOnTop() : startInFrame());
