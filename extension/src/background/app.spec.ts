import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PageList, PageReading } from '../ehr/registry';
import type { Request } from '../protocol';
import { Background, historyChange, type Platform } from './app';
import { LOOKUP_WINDOW_MS, LOOKUPS_PER_TAB, LookupLimiter } from './rate-limit';
import { type CareTextDb, openStore } from './store';

/**
 * The background's own rules, without a server: a signed-in session whose tRPC client is never
 * reached before the rules have said yes (the fetch below counts what would go out).
 */
let db: CareTextDb;
let now = 1_000_000;
let requests: string[];

function platform(): Platform {
  return {
    saveLocal: async () => undefined,
    broadcast: () => undefined,
    sidebarsOpen: () => 0,
    retryLater: () => undefined,
    fetch: async () => new Response('{}'),
    approvedOrigins: () => [],
    now: () => now,
  };
}

const reading = (mrn: string): PageReading => ({ adapterId: 'generic', patient: { name: null, firstName: null, lastName: null, dob: null, mrn, phone: null, email: null } });

beforeEach(async () => {
  db = openStore(`app-test-${Math.random()}`);
  requests = [];
  // Signed in to a server no test reaches: globalThis.fetch records what would have left.
  await db.session.put({ id: 'current', serverUrl: 'https://ct.example', email: 'a@b.c', token: 'tok', user: { name: 'A', email: 'a@b.c' }, org: { id: 'o1', name: 'Org' }, orgs: [] });
  globalThis.fetch = (async (input: RequestInfo | URL) => {
    requests.push(String(input));
    return new Response(JSON.stringify([{ result: { data: { json: { patient: null, matchedBy: null } } } }]), { headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;
});
afterEach(() => db.delete());

describe('patient lookups in the background (issue 9, item 1)', () => {
  it('go out only for the patient the tab’s content script reported, and at most a few a minute per tab', async () => {
    const bg = new Background(db, platform());
    // Nothing reported for the tab yet: nothing leaves.
    const refused = await bg.handle({ type: 'patient.lookup', page: reading('A-1').patient }, { tabId: 1 });
    expect(refused).toMatchObject({ ok: false, error: { reason: 'not_on_page' } });
    // Not from a tab at all (the popup): refused too.
    expect(await bg.handle({ type: 'patient.lookup', page: reading('A-1').patient })).toMatchObject({ ok: false, error: { reason: 'not_on_page' } });
    expect(requests).toEqual([]);

    // The content script of tab 1 reports A-1: the sidebar of tab 1 may look up A-1, not B-2.
    bg.setReading(1, 0, reading('A-1'));
    expect(await bg.handle({ type: 'patient.lookup', page: reading('A-1').patient }, { tabId: 1 })).toMatchObject({ ok: true });
    expect(requests).toHaveLength(1);
    expect(await bg.handle({ type: 'patient.lookup', page: reading('B-2').patient }, { tabId: 1 })).toMatchObject({ ok: false, error: { reason: 'not_on_page' } });
    expect(await bg.handle({ type: 'patient.lookup', page: reading('A-1').patient }, { tabId: 2 })).toMatchObject({ ok: false, error: { reason: 'not_on_page' } });

    // A page rewriting its MRN in a loop: LOOKUPS_PER_TAB answers a minute, then refusals.
    for (let i = 2; i <= LOOKUPS_PER_TAB + 5; i++) {
      bg.setReading(1, 0, reading(`A-${i}`));
      await bg.handle({ type: 'patient.lookup', page: reading(`A-${i}`).patient }, { tabId: 1 });
    }
    expect(requests).toHaveLength(LOOKUPS_PER_TAB);
    const limited = await bg.handle({ type: 'patient.lookup', page: reading(`A-${LOOKUPS_PER_TAB + 5}`).patient }, { tabId: 1 });
    expect(limited).toMatchObject({ ok: false, error: { reason: 'rate_limited' } });
    // Another tab has its own allowance; a minute later this one has too.
    bg.setReading(2, 0, reading('C-1'));
    expect(await bg.handle({ type: 'patient.lookup', page: reading('C-1').patient }, { tabId: 2 })).toMatchObject({ ok: true });
    now += LOOKUP_WINDOW_MS + 1;
    expect(await bg.handle({ type: 'patient.lookup', page: reading(`A-${LOOKUPS_PER_TAB + 5}`).patient }, { tabId: 1 })).toMatchObject({ ok: true });
  });

  it('a frame’s reading counts for its tab; the top page’s own reading wins', () => {
    const bg = new Background(db, platform());
    expect(bg.setReading(3, 5, reading('F-1'))).toMatchObject({ changed: true, current: reading('F-1') });
    expect(bg.setReading(3, 0, null)).toMatchObject({ changed: false });
    expect(bg.setReading(3, 0, reading('T-1')).current).toEqual(reading('T-1'));
    bg.tabClosed(3);
    expect(bg.readingOf(3)).toBeNull();
  });

  it('refuses a server address that is not https, except on this computer', async () => {
    const bg = new Background(db, platform());
    for (const url of ['http://caretext.clinic.example', 'http://192.168.1.20:3000']) {
      expect(await bg.handle({ type: 'session.signIn', serverUrl: url, email: 'a@b.c', password: 'x' })).toMatchObject({ ok: false, error: { reason: 'insecure_server' } });
    }
    expect(requests).toEqual([]);
  });
});

describe('"Text these N patients": matching the page’s list (issue 13)', () => {
  const row = (mrn: string, name: string) => ({ name, firstName: name.split(' ')[0]!, lastName: name.split(' ')[1]!, dob: '03/14/1985', mrn, phone: '(415) 555-0202', email: null });
  const list = (...rows: ReturnType<typeof row>[]): PageList => ({ adapterId: 'generic', rows });
  const schedule = list(row('RC-1', 'Maria Garcia'), row('Q-404', 'Quinn Nobody'), row('RC-3', 'Maria Garcia'));

  it('match only the rows the tab’s content script reported, count against the lookup allowance, and give the wizard URL with each matched patient once', async () => {
    const sent: { url: string; body: any }[] = [];
    globalThis.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
      sent.push({ url: String(input), body: JSON.parse(String(init?.body ?? 'null')) });
      const rows = [
        { index: 0, status: 'matched', patient: { id: 'p-1', displayName: 'Maria Garcia' }, matchedBy: 'mrn' },
        { index: 1, status: 'unmatched', reason: 'no_patient' },
        { index: 2, status: 'matched', patient: { id: 'p-1', displayName: 'Maria Garcia' }, matchedBy: 'phone' },
      ];
      return new Response(JSON.stringify([{ result: { data: { json: { rows, matched: 2, unmatched: 1 } } } }]), { headers: { 'content-type': 'application/json' } });
    }) as typeof fetch;
    const bg = new Background(db, platform());
    // Nothing reported, another tab's list, not from a tab, or rows the page does not show: refused before anything leaves.
    expect(await bg.handle({ type: 'patients.matchList', rows: schedule.rows }, { tabId: 1 })).toMatchObject({ ok: false, error: { reason: 'not_on_page' } });
    bg.setReading(1, 0, null, schedule);
    expect(bg.readingOf(1)).toBeNull();
    expect(await bg.handle({ type: 'patients.matchList', rows: schedule.rows }, { tabId: 2 })).toMatchObject({ ok: false, error: { reason: 'not_on_page' } });
    expect(await bg.handle({ type: 'patients.matchList', rows: schedule.rows })).toMatchObject({ ok: false, error: { reason: 'not_on_page' } });
    expect(await bg.handle({ type: 'patients.matchList', rows: [...schedule.rows, row('X-9', 'Eve Other')] }, { tabId: 1 })).toMatchObject({ ok: false, error: { reason: 'not_on_page' } });
    expect(sent).toEqual([]);

    const answer = await bg.handle({ type: 'patients.matchList', rows: schedule.rows }, { tabId: 1 });
    expect(answer).toEqual({
      ok: true,
      value: {
        rows: [
          { name: 'Maria Garcia', status: 'matched', patient: { id: 'p-1', displayName: 'Maria Garcia' } },
          { name: 'Quinn Nobody', status: 'unmatched', reason: 'no_patient' },
          { name: 'Maria Garcia', status: 'matched', patient: { id: 'p-1', displayName: 'Maria Garcia' } },
        ],
        matchedIds: ['p-1'],
        blastUrl: 'https://ct.example/comms/blasts/new?patients=p-1',
      },
    });
    expect(sent.map((r) => new URL(r.url).pathname)).toEqual(['/trpc/patients.matchMany']);
    // Normalized like the single lookup: YYYY-MM-DD, first/last names, the phone as the page shows it.
    expect(sent[0]!.body[0].json.rows[1]).toEqual({ mrn: 'Q-404', phone: '(415) 555-0202', firstName: 'Quinn', lastName: 'Nobody', dob: '1985-03-14' });

    // A page that keeps swapping its list is stopped by the same per-tab allowance as lookups.
    for (let i = 0; i < LOOKUPS_PER_TAB + 3; i++) {
      const next = list(row(`E-${i}`, 'Eve Other'), row(`F-${i}`, 'Fay Other'));
      bg.setReading(1, 0, null, next);
      await bg.handle({ type: 'patients.matchList', rows: next.rows }, { tabId: 1 });
    }
    expect(sent).toHaveLength(LOOKUPS_PER_TAB);
    const last = bg.listOf(1)!;
    expect(await bg.handle({ type: 'patients.matchList', rows: last.rows }, { tabId: 1 })).toMatchObject({ ok: false, error: { reason: 'rate_limited' } });
  });

  it('a list change counts as a change of what the tab shows; a frame’s list counts for its tab', () => {
    const bg = new Background(db, platform());
    expect(bg.setReading(4, 0, null, schedule)).toMatchObject({ changed: true, current: null, list: schedule });
    expect(bg.setReading(4, 0, null, schedule).changed).toBe(false);
    expect(bg.setReading(4, 0, reading('A-1'), schedule)).toMatchObject({ changed: true, list: schedule });
    expect(bg.setReading(5, 2, null, schedule)).toMatchObject({ changed: true, list: schedule });
    expect(bg.setReading(5, 2, null, null)).toMatchObject({ changed: true, list: null });
  });
});

describe('a send from the sidebar (issue 10)', () => {
  it('goes out as one conversations.send naming the patient and team, and clears the draft', async () => {
    const sent: { url: string; body: unknown }[] = [];
    globalThis.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
      sent.push({ url: String(input), body: JSON.parse(String(init?.body ?? 'null')) });
      const result = { duplicate: false, conversationId: 'c1', messageId: 'm1', status: 'queued', sendAfter: null };
      return new Response(JSON.stringify([{ result: { data: { json: result } } }]), { headers: { 'content-type': 'application/json' } });
    }) as typeof fetch;
    const bg = new Background(db, platform());
    await bg.handle({ type: 'draft.save', patientId: 'p1', body: 'Hello' });
    const answer = await bg.handle({ type: 'message.send', patientId: 'p1', teamId: 't1', body: 'Hello', idempotencyKey: 'key-0001-abcd', requestsConfirmation: true });
    expect(answer).toEqual({ ok: true, value: { status: 'sent', messageId: 'm1', messageStatus: 'queued', sendAfter: null, duplicate: false } });
    expect(sent.map((r) => new URL(r.url).pathname)).toEqual(['/trpc/conversations.send']);
    expect(sent[0]!.body).toMatchObject({ 0: { json: { patientId: 'p1', teamId: 't1', body: 'Hello', idempotencyKey: 'key-0001-abcd', requestsConfirmation: true } } });
    expect(await db.drafts.count()).toBe(0);
  });
});

describe('LookupLimiter', () => {
  it('counts per tab and overall in a sliding window', () => {
    let t = 0;
    const limiter = new LookupLimiter(() => t, { perTab: 2, overall: 3, windowMs: 100 });
    expect([limiter.take(1), limiter.take(1), limiter.take(1)]).toEqual([true, true, false]);
    expect([limiter.take(2), limiter.take(3)]).toEqual([true, false]);
    t = 101;
    expect(limiter.take(1)).toBe(true);
  });
});

describe('blasts from the sidebar (issue 13)', () => {
  it('send forwards only the audience, text and key (marketing off, never patientIds); the answer links to the blast in the web app', async () => {
    const sent: { url: string; body: unknown }[] = [];
    globalThis.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = String(input);
      sent.push({ url, body: init?.body ? JSON.parse(String(init.body)) : null });
      const stats = { total: 4, sent: 1, failed: 0, skipped: 1, queued: 2, canceled: 0, awaitingReport: 0, optedOut: 1, blocked: 0, replied: 0 };
      const json = url.includes('blasts.send') ? { duplicate: false, blast: { id: 'b/1', name: 'Diabetics' } } : { id: 'b/1', name: 'Diabetics', status: 'sending', stats };
      return new Response(JSON.stringify([{ result: { data: { json } } }]), { headers: { 'content-type': 'application/json' } });
    }) as typeof fetch;
    const bg = new Background(db, platform());
    // A sidebar message carrying more than the wizard sends (as a tampered one would).
    const request = { type: 'blast.send', teamId: 't1', cohortIds: ['c1'], body: 'Hi {{first_name}}', idempotencyKey: 'key-12345678', patientIds: ['p-other'], marketing: true, perDay: 1 } as const;
    const answer = await bg.handle(request as never, { tabId: 1 });
    expect(answer).toEqual({ ok: true, value: { duplicate: false, blast: { id: 'b/1', name: 'Diabetics', status: 'sending', stats: { total: 4, sent: 1, failed: 0, skipped: 1, queued: 2, canceled: 0, awaitingReport: 0 }, resultsUrl: 'https://ct.example/comms/blasts/b%2F1' } } });
    expect(sent[0]!.url).toContain('/trpc/blasts.send');
    expect(sent[0]!.body).toEqual({ 0: { json: { teamId: 't1', cohortIds: ['c1'], marketing: false, body: 'Hi {{first_name}}', idempotencyKey: 'key-12345678' } } });
    expect(sent[1]!.url).toContain('/trpc/blasts.get');
  });

  it('signed out: nothing leaves', async () => {
    await db.session.put({ id: 'current', serverUrl: 'https://ct.example', email: 'a@b.c', token: null, user: null, org: null, orgs: [] });
    const bg = new Background(db, platform());
    const asks: Request[] = [{ type: 'blast.setup' }, { type: 'blast.preview', teamId: 't1', cohortIds: ['c1'] }, { type: 'blast.progress', blastId: 'b1' }];
    for (const r of asks) {
      expect(await bg.handle(r, { tabId: 1 })).toMatchObject({ ok: false, error: { reason: 'signed_out' } });
    }
    expect(requests).toEqual([]);
  });
});

describe('Secure Chat files from the sidebar (issue 12)', () => {
  type Sent = { url: string; headers: Record<string, string>; body: Uint8Array };
  function uploadPlatform(answer: () => Response, sent: Sent[]): Platform {
    return {
      ...platform(),
      fetch: (async (input: RequestInfo | URL, init?: RequestInit) => {
        sent.push({ url: String(input), headers: init?.headers as Record<string, string>, body: new Uint8Array(init?.body as Uint8Array) });
        return answer();
      }) as typeof fetch,
    };
  }
  const startSecureAnswers = () => {
    globalThis.fetch = (async (input: RequestInfo | URL) => {
      requests.push(String(input));
      return new Response(JSON.stringify([{ result: { data: { json: { conversationId: 'conv-9' } } } }]), { headers: { 'content-type': 'application/json' } });
    }) as typeof fetch;
  };

  it('opens the team’s secure thread, then posts the bytes with the token only the background holds; the send carries the ids', async () => {
    startSecureAnswers();
    const sent: Sent[] = [];
    const bg = new Background(db, uploadPlatform(() => new Response(JSON.stringify({ id: 'att-1', fileName: 'scan.pdf', contentType: 'application/pdf', size: 5 }), { status: 201 }), sent));
    const data = btoa('%PDF-');
    const answer = await bg.handle({ type: 'attachment.upload', patientId: 'p1', teamId: 't1', name: 'scan.pdf', data }, { tabId: 1 });
    expect(answer).toEqual({ ok: true, value: { id: 'att-1', fileName: 'scan.pdf', contentType: 'application/pdf', size: 5 } });
    expect(requests).toHaveLength(1);
    expect(requests[0]).toContain('conversations.startSecure');
    expect(sent).toHaveLength(1);
    expect(sent[0]!.url).toBe('https://ct.example/api/attachments?conversationId=conv-9&name=scan.pdf');
    expect(sent[0]!.headers).toMatchObject({ authorization: 'Bearer tok', 'content-type': 'application/octet-stream' });
    expect(new TextDecoder().decode(sent[0]!.body)).toBe('%PDF-');
  });

  it('refuses more than the limit before anything leaves, and passes on the server’s own refusal in its words', async () => {
    startSecureAnswers();
    const sent: Sent[] = [];
    const bg = new Background(db, uploadPlatform(() => new Response(JSON.stringify({ error: "This file's contents are not a type CareText accepts (whatever its name says)." }), { status: 415 }), sent));
    const big = 'A'.repeat(Math.ceil((10 * 1024 * 1024 + 3) / 3) * 4);
    expect(await bg.handle({ type: 'attachment.upload', patientId: 'p1', teamId: 't1', name: 'big.pdf', data: big }, { tabId: 1 })).toMatchObject({ ok: false, error: { reason: 'too_large', message: expect.stringContaining('larger than 10 MB') } });
    expect(await bg.handle({ type: 'attachment.upload', patientId: 'p1', teamId: 't1', name: 'e.pdf', data: '' }, { tabId: 1 })).toMatchObject({ ok: false, error: { reason: 'empty' } });
    expect(requests).toEqual([]);
    expect(sent).toEqual([]);
    const refused = await bg.handle({ type: 'attachment.upload', patientId: 'p1', teamId: 't1', name: 'x.exe', data: btoa('MZ') }, { tabId: 1 });
    expect(refused).toMatchObject({ ok: false, error: { reason: 'wrong_type', message: "This file's contents are not a type CareText accepts (whatever its name says)." } });
  });

  it('the history keeps a message’s files (names, for the count) and its recall', async () => {
    const m = { id: 'm1', conversationId: 'c1', direction: 'outbound', channel: 'secure', body: 'Report', status: 'sent', errorCode: null, errorMessage: null, sender: 'A', sendAfter: null, createdAt: '2026-11-23T15:00:00.000Z', requestsConfirmation: false, confirmation: null, readAt: null, recalled: false, attachments: [{ id: 'att-1', fileName: 'echo.png', contentType: 'image/png', size: 5, recalled: false }] };
    const gone = { ...m, id: 'm2', body: '', recalled: true, attachments: [] };
    globalThis.fetch = (async () =>
      new Response(JSON.stringify([{ result: { data: { json: { conversations: [{ id: 'c1', kind: 'sms', teamId: 't1' }], messages: [m, gone], optOuts: [], hiddenConversations: 0 } } } }]), { headers: { 'content-type': 'application/json' } })) as typeof fetch;
    const bg = new Background(db, platform());
    const answer = await bg.handle({ type: 'patient.history', patientId: 'p1' }, { tabId: 1 });
    if (!answer.ok) throw new Error(answer.error.message);
    expect(answer.value.messages[0]).toMatchObject({ id: 'm1', attachments: [{ id: 'att-1', fileName: 'echo.png', recalled: false }] });
    expect(answer.value.messages[0]).not.toHaveProperty('recalled');
    expect(answer.value.messages[1]).toMatchObject({ id: 'm2', recalled: true });
    expect(answer.value.messages[1]).not.toHaveProperty('attachments');
  });

  it('a live recall reaches the sidebars with the message recalled and its files (names only)', () => {
    const change = historyChange({
      type: 'message.updated',
      teamId: 't1',
      conversationId: 'c1',
      patientId: 'p1',
      conversation: null,
      message: { id: 'm1', status: 'sent', errorCode: null, errorMessage: null, confirmation: null, recalled: true, attachments: [{ id: 'a1', fileName: 'report.pdf', contentType: 'application/pdf', size: 9, recalled: true }] },
    } as never);
    expect(change).toMatchObject({ patientId: 'p1', conversationId: 'c1', added: null, changed: { id: 'm1', recalled: true, attachments: [{ id: 'a1', fileName: 'report.pdf', recalled: true }] } });
    expect(change!.changed!.attachments![0]).not.toHaveProperty('size');
  });

  it("a blast's bulk change goes to the sidebars as the conversations it names; a message change as the patient's", () => {
    const pushed: unknown[] = [];
    const bg = new Background(db, { ...platform(), broadcast: (push) => void pushed.push(push) });
    const onLiveEvent = (bg as unknown as { onLiveEvent(e: unknown): void }).onLiveEvent.bind(bg);
    onLiveEvent({ type: 'conversations.changed', teamId: 't1', conversationIds: ['c1', 'c2'] });
    onLiveEvent({ type: 'message.updated', teamId: 't1', conversationId: 'c1', patientId: 'p1', conversation: null, message: { id: 'm1', status: 'delivered', errorCode: null, errorMessage: null, confirmation: null } });
    expect(pushed).toEqual([
      { type: 'conversations.changed', conversationIds: ['c1', 'c2'] },
      expect.objectContaining({ type: 'message', patientId: 'p1', conversationId: 'c1', changed: expect.objectContaining({ id: 'm1', status: 'delivered' }) }),
    ]);
  });
});
