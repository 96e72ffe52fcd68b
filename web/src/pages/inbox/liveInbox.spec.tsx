import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/preact';
import { useMemo } from 'preact/hooks';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { trpc } from '../../lib/trpc';
import { ConversationList } from './ConversationList';
import { ConversationView } from './ConversationView';
import { InboxFeed, type InboxEvent, useInboxEvents } from './useInboxEvents';

vi.mock('../../lib/trpc', () => ({
  trpc: {
    conversations: {
      get: { query: vi.fn() },
      list: { query: vi.fn() },
      markRead: { mutate: vi.fn(async () => ({ unreadCount: 0 })) },
      events: { subscribe: vi.fn() },
    },
    simulator: { enabled: { query: vi.fn(async () => false) } },
  },
}));
// The composer is not what this is about: a stand-in that says "sent".
vi.mock('./Composer', () => ({ Composer: ({ onSent }: { onSent: () => void }) => <button type="button" data-testid="fake-sent" onClick={() => onSent()} /> }));
const api = vi.mocked(trpc, { deep: true });

const at = (minute: number) => new Date(Date.UTC(2026, 4, 1, 10, minute));
const team = { id: 't1', name: 'Front Desk' };
const patient = { id: 'p1', displayName: 'Maria Garcia', firstName: 'Maria', lastName: 'Garcia', preferredName: null, email: null, phone: '+13125554821', phoneDisplay: '(312) 555-4821', dob: null, mrn: null, source: 'manual', phoneLineType: 'mobile', blocked: false };
const state = { direction: 'outbound', status: 'queued', statusRank: 0, errorCode: null, errorMessage: null, requestsConfirmation: false, confirmation: null, answersMessageId: null, sendAfter: null, sentAt: null, deliveredAt: null };
const message = (id: string, minute: number, body: string, extra: Partial<typeof state> = {}) => ({ id, ...state, ...extra, createdAt: at(minute), channel: 'sms', body, mediaUrls: [], segments: 1, senderId: null, recalled: false, attachments: [], sender: extra.direction === 'inbound' ? null : 'Dana Reyes' });
const open = { id: 'c1', kind: 'sms', team, number: null, readOnly: null, patient, optOut: null, unreadCount: 0, messages: [message('m1', 0, 'Reminder: Tuesday 10am', { status: 'sent', statusRank: 2 })] };
const row = (id: string, name: string, minute: number, preview: string) => ({ id, kind: 'sms', team, number: null, patient: { ...patient, id: `p-${id}`, displayName: name }, optedOut: false, lastMessageAt: at(minute), lastMessagePreview: preview, unreadCount: 0 });

const where = { teamId: 't1', conversationId: 'c1', patientId: 'p1' };
const created = (m: ReturnType<typeof message>, unreadCount?: number): InboxEvent => ({ type: 'message.created', ...where, message: m, conversation: { lastMessageAt: m.createdAt, lastMessagePreview: m.body, ...(unreadCount === undefined ? {} : { unreadCount }) } }) as InboxEvent;
const updated = (id: string, status: string, statusRank: number): InboxEvent => ({ type: 'message.updated', ...where, message: { id, ...state, status, statusRank, createdAt: at(0) }, conversation: null }) as InboxEvent;

let live: { onData(e: unknown): void; onConnectionStateChange?(s: { state: string }): void };
const onResync = vi.fn();
function Inbox() {
  const feed = useMemo(() => new InboxFeed(), []);
  useInboxEvents(null, true, feed, { onAccessRevoked: () => undefined, onResync });
  return (
    <>
      <ConversationList teamId={null} revision={0} feed={feed} openId="c1" hrefFor={(id) => `/inbox/${id}`} numbers={[]} onMyTeam />
      <ConversationView conversationId="c1" revision={0} feed={feed} />
    </>
  );
}
const push = (e: InboxEvent) => act(() => live.onData(e));
const bodies = () => screen.getAllByTestId('message-body').map((b) => b.textContent);
const statusOf = (id: string) => document.querySelector(`[data-testid="message"][data-id="${id}"]`)?.getAttribute('data-status');

beforeEach(async () => {
  vi.clearAllMocks();
  api.conversations.get.query.mockResolvedValue(open as never);
  api.conversations.list.query.mockResolvedValue({ conversations: [row('c1', 'Maria Garcia', 0, 'Reminder: Tuesday 10am'), row('c2', 'Bo Chen', -5, 'Thanks')], nextCursor: null } as never);
  api.conversations.events.subscribe.mockImplementation(((_input: unknown, handlers: typeof live) => {
    live = handlers;
    handlers.onConnectionStateChange?.({ state: 'pending' });
    return { unsubscribe: vi.fn() };
  }) as never);
  render(<Inbox />);
  await screen.findByTestId('thread');
  await screen.findAllByTestId('conversation-item');
  // One stream for the inbox, blasts' bulk changes included (a tab's connections are few).
  expect(api.conversations.events.subscribe).toHaveBeenCalledTimes(1);
  expect(api.conversations.events.subscribe.mock.calls[0]![0]).toEqual({ bulk: true });
});
afterEach(cleanup);

describe('the open inbox applies live events without reading the thread again', () => {
  it('a send, its statuses and the reply: the thread and the list change, and nothing is re-read', async () => {
    const reads = () => [api.conversations.get.query.mock.calls.length, api.conversations.list.query.mock.calls.length];
    expect(reads()).toEqual([1, 1]);

    fireEvent.click(screen.getByTestId('fake-sent'));
    const sent = message('m2', 2, 'Bring your insurance card');
    await push(created(sent));
    await push(created(sent)); // the same message twice: shown once
    expect(bodies()).toEqual(['Reminder: Tuesday 10am', 'Bring your insurance card']);
    for (const [status, rank] of [['sending', 1], ['sent', 2], ['delivered', 3]] as const) await push(updated('m2', status, rank));
    await push(updated('m2', 'sent', 2)); // a late callback: never backwards
    expect(statusOf('m2')).toBe('delivered');

    await push(created(message('m3', 3, 'See you then', { direction: 'inbound', status: 'received' }), 1));
    expect(bodies().at(-1)).toBe('See you then');
    expect(screen.getAllByTestId('conversation-preview')[0]!.textContent).toBe('See you then');
    // The thread is open, so the reply is read at once; the badge goes with the event that follows.
    await waitFor(() => expect(api.conversations.markRead.mutate).toHaveBeenCalledWith({ conversationId: 'c1' }));

    expect(reads()).toEqual([1, 1]);
  });

  it("the server's resync (its event channel dropped) asks for a re-read, as a reconnect does, and patches nothing", async () => {
    expect(onResync).not.toHaveBeenCalled();
    await act(() => live.onData({ type: 'resync' }));
    expect(onResync).toHaveBeenCalledTimes(1);
    expect(bodies()).toEqual(['Reminder: Tuesday 10am']);
  });

  it('a conversation the list does not have yet reads the list (not the thread); an unread count comes from the event', async () => {
    await push({ ...created(message('x1', 4, 'Hi, new here', { direction: 'inbound', status: 'received' }), 1), conversationId: 'c9', patientId: 'p9' } as InboxEvent);
    await waitFor(() => expect(api.conversations.list.query).toHaveBeenCalledTimes(2));
    await push({ ...created(message('x2', 5, 'Hello again', { direction: 'inbound', status: 'received' }), 3), conversationId: 'c2', patientId: 'p-c2' } as InboxEvent);
    const c2 = document.querySelector('[data-testid="conversation-item"][data-id="c2"]')!;
    expect(c2.querySelector('[data-testid="unread-badge"]')!.textContent).toBe('3');
    expect(screen.getAllByTestId('conversation-item')[0]!.getAttribute('data-id')).toBe('c2');
    await push({ type: 'conversation.updated', teamId: 't1', conversationId: 'c2', patientId: 'p-c2', conversation: { unreadCount: 0 } } as InboxEvent);
    expect(c2.querySelector('[data-testid="unread-badge"]')).toBeNull();
    expect(api.conversations.get.query).toHaveBeenCalledTimes(1);
  });

  it('the opt-out banner comes and goes with the event; a send with the stream down reads the thread', async () => {
    await push({ type: 'conversation.updated', ...where, conversation: { optOut: { keyword: 'STOP', at: at(6) } } } as InboxEvent);
    expect(screen.getByTestId('opted-out-banner').textContent).toContain('replied STOP');
    await push({ type: 'conversation.updated', ...where, conversation: { optOut: null } } as InboxEvent);
    expect(screen.queryByTestId('opted-out-banner')).toBeNull();
    expect(api.conversations.get.query).toHaveBeenCalledTimes(1);

    act(() => live.onConnectionStateChange?.({ state: 'connecting' }));
    fireEvent.click(screen.getByTestId('fake-sent'));
    await waitFor(() => expect(api.conversations.get.query).toHaveBeenCalledTimes(2));
  });
});

describe('a blast (many conversations at once, by id)', () => {
  const changed = (ids: string[]) => ({ type: 'conversations.changed', teamId: 't1', conversationIds: ids });

  it('reads the list again once per burst, and the open thread only when the blast wrote into it', async () => {
    const blastRow = row('c7', 'Lou Moss', 9, 'Flu shots are in');
    api.conversations.list.query.mockResolvedValue({ conversations: [blastRow, row('c1', 'Maria Garcia', 0, 'Reminder: Tuesday 10am'), row('c2', 'Bo Chen', -5, 'Thanks')], nextCursor: null } as never);
    // Ten chunks of one blast, none naming the open conversation: the list reads once or twice, never per event; the thread not at all.
    await act(() => {
      for (let i = 0; i < 10; i++) live.onData(changed([`c${100 + i}`, 'c7']));
    });
    await waitFor(() => expect(screen.getAllByTestId('conversation-item')[0]!.getAttribute('data-id')).toBe('c7'));
    expect(api.conversations.list.query.mock.calls.length).toBeGreaterThanOrEqual(2);
    expect(api.conversations.list.query.mock.calls.length).toBeLessThanOrEqual(3);
    expect(api.conversations.get.query).toHaveBeenCalledTimes(1);

    // A chunk naming the open conversation: the thread is read again and shows the blast's message.
    api.conversations.get.query.mockResolvedValue({ ...open, messages: [...open.messages, message('b1', 9, 'Flu shots are in')] } as never);
    await act(() => live.onData(changed(['c1', 'c8'])));
    await waitFor(() => expect(bodies()).toEqual(['Reminder: Tuesday 10am', 'Flu shots are in']));
    expect(api.conversations.get.query).toHaveBeenCalledTimes(2);
  });

  it("shows an MMS blast message's images in the thread by the links the server minted", async () => {
    const withImages = { ...message('b2', 9, 'See the flyer'), channel: 'mms', images: [{ id: 'i1', fileName: 'flyer.png', contentType: 'image/png', url: 'https://app.test/api/blast-images/i1?exp=1&v=u.u1&sig=x' }] };
    api.conversations.get.query.mockResolvedValue({ ...open, messages: [...open.messages, withImages] } as never);
    await act(() => live.onData(changed(['c1'])));
    const img = await screen.findByTestId('message-image');
    expect([img.getAttribute('src'), img.getAttribute('alt')]).toEqual(['https://app.test/api/blast-images/i1?exp=1&v=u.u1&sig=x', 'flyer.png']);
    expect(screen.getAllByTestId('message-images')).toHaveLength(1);
  });
});
