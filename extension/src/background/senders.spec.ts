import { describe, expect, it } from 'vitest';
import type { RequestType } from '../protocol';
import { mayAsk, roleOf, type SenderInfo } from './senders';

const ID = 'abcdefghijklmnopabcdefghijklmnop';
const APPROVED = ['https://ehr.example.com/*', 'http://127.0.0.1/custom/patient/*'];
const tab = (url: string | undefined, id = 7) => ({ id, url, index: 0, pinned: false, highlighted: false, windowId: 1, active: true, incognito: false, selected: true, discarded: false, autoDiscardable: true, groupId: -1, frozen: false }) as chrome.tabs.Tab;

const popup: SenderInfo = { id: ID, url: `chrome-extension://${ID}/src/popup/index.html`, origin: `chrome-extension://${ID}` };
const sidebar: SenderInfo = { id: ID, url: `chrome-extension://${ID}/src/sidebar/index.html`, origin: `chrome-extension://${ID}`, tab: tab('https://ehr.example.com/chart/1'), frameId: 3 };
const content: SenderInfo = { id: ID, url: 'https://ehr.example.com/chart/1', origin: 'https://ehr.example.com', tab: tab('https://ehr.example.com/chart/1'), frameId: 0 };

const ALL: RequestType[] = ['session.get', 'session.signIn', 'session.signOut', 'session.switchOrg', 'patient.lookup', 'patients.matchList', 'patient.create', 'patient.linkMrn', 'patient.view', 'patient.history', 'draft.save', 'message.send', 'outbox.discard', 'secure.resendLink', 'attachment.upload', 'sidebar.setOpen', 'blast.setup', 'blast.preview', 'blast.sendTest', 'blast.send', 'blast.progress'];
const allowed = (s: SenderInfo) => ALL.filter((t) => mayAsk(t, roleOf(s, ID, APPROVED)));

describe('which sender may ask the background what (issue 9, item 1)', () => {
  it('sign-in, sign-out and org switch only from the popup; patient requests only from the sidebar frame of an approved tab; content scripts ask nothing', () => {
    expect(roleOf(popup, ID, APPROVED)).toEqual({ role: 'popup' });
    expect(allowed(popup)).toEqual(['session.get', 'session.signIn', 'session.signOut', 'session.switchOrg']);
    expect(roleOf(sidebar, ID, APPROVED)).toEqual({ role: 'sidebar', tabId: 7 });
    expect(allowed(sidebar)).toEqual(['session.get', 'patient.lookup', 'patients.matchList', 'patient.create', 'patient.linkMrn', 'patient.view', 'patient.history', 'draft.save', 'message.send', 'outbox.discard', 'secure.resendLink', 'attachment.upload', 'sidebar.setOpen', 'blast.setup', 'blast.preview', 'blast.sendTest', 'blast.send', 'blast.progress']);
    expect(roleOf(content, ID, APPROVED)).toEqual({ role: 'content', tabId: 7, frameId: 0 });
    expect(allowed(content)).toEqual([]);
    expect(mayAsk('page.reading', roleOf(content, ID, APPROVED))).toBe(false); // handled apart, never through mayAsk
    expect(mayAsk('constructor', roleOf(popup, ID, APPROVED))).toBe(false);
  });

  it('a blast (issue 13) is composed, sent and followed from the sidebar frame only: not the popup, not a content script (the page)', () => {
    const blast: RequestType[] = ['blast.setup', 'blast.preview', 'blast.sendTest', 'blast.send', 'blast.progress'];
    for (const type of blast) {
      expect(mayAsk(type, roleOf(sidebar, ID, APPROVED))).toBe(true);
      expect(mayAsk(type, roleOf(popup, ID, APPROVED))).toBe(false);
      expect(mayAsk(type, roleOf(content, ID, APPROVED))).toBe(false);
      // Our sidebar framed by a page on an unapproved origin.
      expect(mayAsk(type, roleOf({ ...sidebar, tab: tab('https://evil.example.net/') }, ID, APPROVED))).toBe(false);
    }
  });

  it('file bytes for a Secure Chat message go up from the sidebar frame only: the page (its content script), the popup and a sidebar framed elsewhere cannot post an upload', () => {
    expect(mayAsk('attachment.upload', roleOf(sidebar, ID, APPROVED))).toBe(true);
    expect(mayAsk('attachment.upload', roleOf(content, ID, APPROVED))).toBe(false);
    // A content script in a same-origin frame of the approved tab: still the page's side.
    expect(mayAsk('attachment.upload', roleOf({ ...content, frameId: 2 }, ID, APPROVED))).toBe(false);
    expect(mayAsk('attachment.upload', roleOf(popup, ID, APPROVED))).toBe(false);
    expect(mayAsk('attachment.upload', roleOf({ ...sidebar, tab: tab('https://evil.example.net/') }, ID, APPROVED))).toBe(false);
    expect(mayAsk('attachment.upload', roleOf({ ...sidebar, id: 'otherextensionidotherextensionid' }, ID, APPROVED))).toBe(false);
  });

  it('refuses everything from elsewhere', () => {
    const none = (s: SenderInfo) => expect(roleOf(s, ID, APPROVED).role).toBe('none');
    // Another extension, even with our popup's path.
    none({ ...popup, id: 'otherextensionidotherextensionid', url: `chrome-extension://otherextensionidotherextensionid/src/popup/index.html` });
    // Our sidebar framed into a page on an unapproved origin, or outside any tab / frame.
    none({ ...sidebar, tab: tab('https://evil.example.net/') });
    none({ ...sidebar, tab: tab(undefined) });
    none({ ...sidebar, tab: undefined });
    none({ ...sidebar, frameId: 0 });
    // A content script on an unapproved origin, in an unapproved frame of an approved tab, or
    // whose origin does not match its URL.
    none({ ...content, url: 'https://evil.example.net/x', origin: 'https://evil.example.net', tab: tab('https://evil.example.net/x') });
    none({ ...content, url: 'https://ads.example.org/frame', origin: 'https://ads.example.org', frameId: 4 });
    none({ ...content, origin: 'https://evil.example.net' });
    none({ ...content, tab: undefined });
    // Approved path patterns are paths: /custom/patient/* only.
    none({ ...content, url: 'http://127.0.0.1:8080/admin', origin: 'http://127.0.0.1:8080', tab: tab('http://127.0.0.1:8080/admin') });
    expect(roleOf({ ...content, url: 'http://127.0.0.1:8080/custom/patient/4', origin: 'http://127.0.0.1:8080', tab: tab('http://127.0.0.1:8080/custom/patient/4') }, ID, APPROVED).role).toBe('content');
    // Other pages of the extension.
    none({ ...popup, url: `chrome-extension://${ID}/src/other.html` });
    none({ id: ID });
    for (const s of [{ ...sidebar, tab: tab('https://evil.example.net/') }, { ...content, url: 'https://evil.example.net/x', origin: 'https://evil.example.net', tab: tab('https://evil.example.net/x') }]) {
      expect(allowed(s)).toEqual([]);
    }
  });
});
