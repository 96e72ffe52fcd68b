import { EHR_MAX_PAGE_ROWS } from '@caretext/shared/ehr-fields';
import contentScript from '../content/reader.ts?script';
import { type LocalSettings, LOCAL_DEFAULTS } from '../local-settings';
import type { PageReport, Push, Request, ToContent } from '../protocol';
import { SIDEBAR_PORT } from '../protocol';
import { originPermission } from '../server-address';
import { Background } from './app';
import { mayAsk, roleOf, type SenderRole } from './senders';
import { openStore } from './store';

/** Chrome wiring only: the logic is in Background, the sender rules in ./senders.ts. */
const SYNC_ALARM = 'caretext-sync';
const RETRY_ALARM = 'caretext-outbox';
const CONTENT_SCRIPT_ID = 'caretext-ehr';
/** Open sidebar frames, each in one EHR tab. */
const ports = new Map<chrome.runtime.Port, { tabId: number }>();
let approved: string[] = [];
const approvedLoaded = chrome.storage.local.get(LOCAL_DEFAULTS).then((s) => {
  approved = (s as LocalSettings).ehrOrigins ?? [];
});

const background = new Background(openStore(), {
  saveLocal(items: Partial<LocalSettings>) {
    // Known at once (the popup asks for the session right after sign-in), registered on the
    // storage change below.
    if (items.ehrOrigins) approved = items.ehrOrigins;
    return chrome.storage.local.set(items);
  },
  broadcast(push: Push) {
    for (const port of ports.keys()) {
      try {
        port.postMessage(push);
      } catch {
        ports.delete(port);
      }
    }
  },
  sidebarsOpen: () => ports.size,
  retryLater(waiting) {
    if (waiting) void chrome.alarms.create(RETRY_ALARM, { periodInMinutes: 0.5 });
    else void chrome.alarms.clear(RETRY_ALARM);
  },
  fetch: (input, init) => fetch(input, init),
  approvedOrigins: () => approved,
});

async function roleOfSender(sender: chrome.runtime.MessageSender): Promise<SenderRole> {
  await approvedLoaded;
  return roleOf(sender, chrome.runtime.id, approved);
}

/**
 * Web pages cannot reach this (no externally_connectable). Each message type is answered only
 * from its own sender: sign-in and the like from the popup, patient requests from the sidebar
 * frame of an approved EHR tab, page readings from content scripts on approved origins.
 * Everything else is dropped without an answer.
 */
chrome.runtime.onMessage.addListener((message: Request | PageReport, sender, sendResponse) => {
  if (sender.id !== chrome.runtime.id || !message || typeof message.type !== 'string') return false;
  void roleOfSender(sender).then((role) => {
    if (message.type === 'page.reading') {
      if (role.role === 'content') onReading(role.tabId, role.frameId, message);
      return sendResponse(undefined);
    }
    if (!mayAsk(message.type, role)) {
      return sendResponse({ ok: false, error: { message: 'CareText refused this request.', reason: 'forbidden', details: {} } });
    }
    const from = { tabId: role.role === 'sidebar' ? role.tabId : null };
    void background.handle(message as Request, from).then((answer) => {
      if (message.type === 'sidebar.setOpen' && from.tabId !== null) tellTab(from.tabId, { type: 'sidebar.layout', open: (message as { open: boolean }).open });
      sendResponse(answer);
    });
  });
  return true;
});

function onReading(tabId: number, frameId: number, report: PageReport): void {
  const reading = report.reading && typeof report.reading === 'object' ? report.reading : null;
  const list = report.list && typeof report.list === 'object' && Array.isArray(report.list.rows) ? { adapterId: String(report.list.adapterId), rows: report.list.rows.slice(0, EHR_MAX_PAGE_ROWS) } : null;
  const { changed, current, list: currentList } = background.setReading(tabId, frameId, reading, list);
  if (!changed) return;
  if ((current || currentList) && frameId !== 0) tellTab(tabId, { type: 'sidebar.show' }, 0);
  for (const [port, info] of ports) if (info.tabId === tabId) port.postMessage({ type: 'reading', reading: current, list: currentList } satisfies Push);
}

function tellTab(tabId: number, message: ToContent, frameId?: number): void {
  void chrome.tabs.sendMessage(tabId, message, frameId === undefined ? undefined : { frameId }).catch(() => undefined);
}

/** The sidebar frame connects for pushes; only our sidebar page in an approved tab may. */
chrome.runtime.onConnect.addListener((port) => {
  void roleOfSender(port.sender ?? {}).then((role) => {
    if (port.name !== SIDEBAR_PORT || role.role !== 'sidebar') return port.disconnect();
    ports.set(port, { tabId: role.tabId });
    port.onDisconnect.addListener(() => {
      ports.delete(port);
      background.sidebarsChanged();
    });
    const reading = background.readingOf(role.tabId);
    const list = background.listOf(role.tabId);
    port.postMessage({ type: 'reading', reading, list } satisfies Push);
    // After a service worker restart we know nothing of the tab: its content scripts say again.
    if (!reading && !list) tellTab(role.tabId, { type: 'page.report' });
    void background.ready.then(() => background.sidebarsChanged());
  });
});

chrome.tabs.onRemoved.addListener((tabId) => background.tabClosed(tabId));

/**
 * The content script runs only on approved EHR origins the user granted host access to
 * (optional_host_permissions, asked for from the popup on a click). Re-registered whenever the
 * approved list or the granted permissions change.
 */
async function registerContentScripts(): Promise<void> {
  await approvedLoaded;
  const granted: string[] = [];
  for (const pattern of approved) {
    if (await chrome.permissions.contains({ origins: [originPermission(pattern)] }).catch(() => false)) granted.push(pattern);
  }
  const existing = await chrome.scripting.getRegisteredContentScripts({ ids: [CONTENT_SCRIPT_ID] });
  if (existing.length) await chrome.scripting.unregisterContentScripts({ ids: [CONTENT_SCRIPT_ID] });
  if (!granted.length) return;
  await chrome.scripting.registerContentScripts([
    // allFrames: OpenEMR (and other EHRs) show the chart in an iframe of their shell; frames
    // report to the background, which hands the reading to the top page's sidebar.
    { id: CONTENT_SCRIPT_ID, matches: granted, js: [contentScript], runAt: 'document_end', allFrames: true, persistAcrossSessions: true },
  ]);
}
let registering = Promise.resolve();
const reregister = () => {
  registering = registering.then(registerContentScripts).catch((error) => console.warn('[caretext] content script registration failed', String(error)));
};

chrome.storage.onChanged.addListener((changes, area) => {
  if (area !== 'local' || !changes.ehrOrigins) return;
  approved = (changes.ehrOrigins.newValue as string[] | undefined) ?? [];
  reregister();
});
chrome.permissions.onAdded.addListener(reregister);
chrome.permissions.onRemoved.addListener(reregister);

chrome.commands.onCommand.addListener(async (command) => {
  if (command !== 'toggle-sidebar') return;
  const [tab] = await chrome.tabs.query({ active: true, currentWindow: true });
  for (const [port, info] of ports) if (info.tabId === tab?.id) port.postMessage({ type: 'toggle' } satisfies Push);
});

chrome.runtime.onInstalled.addListener(() => {
  void chrome.alarms.create(SYNC_ALARM, { periodInMinutes: 15 });
  reregister();
});
chrome.runtime.onStartup.addListener(() => {
  void background.wake();
  reregister();
});
chrome.alarms.onAlarm.addListener((alarm) => {
  if (alarm.name === SYNC_ALARM) void background.wake();
  if (alarm.name === RETRY_ALARM) void background.wake({ adapters: false });
});
// The browser's own signal; the server may still be down, so it only prompts a check.
self.addEventListener('online', () => void background.connectivity.check());

// A service worker restart (Chrome stops idle workers) must not strand waiting messages.
void background.wake();
