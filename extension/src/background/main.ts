import type { LocalSettings } from '../local-settings';
import { type FrameReading, type FrameReport, type Push, type Request, SIDEBAR_PORT } from '../protocol';
import { Background } from './app';
import { openStore } from './store';

/** Chrome wiring only: the logic is in Background. */
const SYNC_ALARM = 'caretext-sync';
const RETRY_ALARM = 'caretext-outbox';
const ports = new Map<chrome.runtime.Port, { tabId: number | null }>();

const background = new Background(openStore(), {
  saveLocal: (items: Partial<LocalSettings>) => chrome.storage.local.set(items),
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
});

/**
 * Only our own pages and content scripts can reach this (no externally_connectable), and the
 * content script forwards nothing from the page. Requests from elsewhere are dropped anyway.
 */
chrome.runtime.onMessage.addListener((message: Request | FrameReport, sender, sendResponse) => {
  if (sender.id !== chrome.runtime.id || !message || typeof message.type !== 'string') return false;
  if (message.type === 'frame.reading') return relayFrame(message, sender);
  void background.handle(message).then(sendResponse);
  return true;
});

/**
 * A frame's reading goes to the top frame of its tab, which shows the sidebar; only frames of
 * the tab's own origin count, so an embedded third-party page cannot put a patient on screen.
 */
function relayFrame(message: FrameReport, sender: chrome.runtime.MessageSender): false {
  const tab = sender.tab;
  if (!tab?.id || !sender.frameId || !tab.url || !sender.origin || new URL(tab.url).origin !== sender.origin) return false;
  const relayed: FrameReading = { type: 'frame.reading', frameId: sender.frameId, reading: message.reading };
  void chrome.tabs.sendMessage(tab.id, relayed, { frameId: 0 }).catch(() => undefined);
  return false;
}

chrome.runtime.onConnect.addListener((port) => {
  if (port.name !== SIDEBAR_PORT || port.sender?.id !== chrome.runtime.id) return port.disconnect();
  ports.set(port, { tabId: port.sender?.tab?.id ?? null });
  port.onDisconnect.addListener(() => {
    ports.delete(port);
    background.sidebarsChanged();
  });
  void background.ready.then(() => background.sidebarsChanged());
});

chrome.commands.onCommand.addListener(async (command) => {
  if (command !== 'toggle-sidebar') return;
  const [tab] = await chrome.tabs.query({ active: true, currentWindow: true });
  for (const [port, info] of ports) if (info.tabId === tab?.id) port.postMessage({ type: 'toggle' } satisfies Push);
});

chrome.runtime.onInstalled.addListener(() => void chrome.alarms.create(SYNC_ALARM, { periodInMinutes: 15 }));
chrome.runtime.onStartup.addListener(() => void background.wake());
chrome.alarms.onAlarm.addListener((alarm) => {
  if (alarm.name === SYNC_ALARM) void background.wake();
  if (alarm.name === RETRY_ALARM) void background.wake({ adapters: false });
});
// The browser's own signal; the server may still be down, so it only prompts a check.
self.addEventListener('online', () => void background.connectivity.check());

// A service worker restart (Chrome stops idle workers) must not strand waiting messages.
void background.wake();
