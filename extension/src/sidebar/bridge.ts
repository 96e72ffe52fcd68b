import { type Answer, type Push, type RequestOf, type RequestType, type Results, SIDEBAR_PORT } from '../protocol';

/**
 * The sidebar page's only way out: requests to the background (which alone talks to the
 * server) and pushes back over a port. Nothing here listens to the EHR page.
 */
export async function ask<T extends RequestType>(request: RequestOf<T>): Promise<Answer<Results[T]>> {
  try {
    const answer = (await chrome.runtime.sendMessage(request)) as Answer<Results[T]> | undefined;
    return answer ?? { ok: false, error: { message: 'CareText did not answer. Reload the page.', reason: 'extension', details: {} } };
  } catch (error) {
    // The extension was reloaded or updated under this page: its old content script is orphaned.
    return { ok: false, error: { message: 'CareText was updated. Reload the page to keep using the sidebar.', reason: 'extension', details: { error: String(error) } } };
  }
}

/**
 * Pushes from the background. Chrome stops an idle service worker, which closes the port; we
 * reconnect at once (which starts it again) and say `resync`, since events may have been missed.
 */
export function listen(onPush: (push: Push) => void): () => void {
  let port: chrome.runtime.Port | null = null;
  let closed = false;
  const connect = (reconnecting: boolean) => {
    try {
      port = chrome.runtime.connect({ name: SIDEBAR_PORT });
    } catch {
      return; // the extension context is gone (reloaded); ask() reports it
    }
    // The background's first push to a sidebar it accepts is the tab's reading. A port closed
    // before any push was refused (this page framed outside an approved EHR tab): no retry.
    let accepted = false;
    port.onMessage.addListener((push: Push) => {
      accepted = true;
      onPush(push);
    });
    port.onDisconnect.addListener(() => {
      port = null;
      if (!closed && accepted && chrome.runtime?.id) setTimeout(() => connect(true), 100);
    });
    if (reconnecting) onPush({ type: 'resync' });
  };
  connect(false);
  return () => {
    closed = true;
    port?.disconnect();
  };
}
