import { describe, expect, it } from 'vitest';
import { applyToList } from './liveUpdates';

const row = (id: string) => ({ id, lastMessageAt: '2026-12-01T10:00:00.000Z', lastMessagePreview: 'Hi', unreadCount: 0, optedOut: false }) as never;
const removed = (conversationId: string, userIds: string[]) =>
  ({ type: 'conversation.updated', conversationId, teamId: 't1', patientId: null, conversation: { participantsChanged: true, removedUserIds: userIds } }) as never;

describe('the inbox list, live', () => {
  it('drops an internal chat I left or was removed from, and keeps it for the others', () => {
    const rows = [row('c1'), row('c2')];
    expect(applyToList(rows, removed('c1', ['u-me']), 'u-me').rows.map((c: { id: string }) => c.id)).toEqual(['c2']);
    expect(applyToList(rows, removed('c1', ['u-sam']), 'u-me').rows.map((c: { id: string }) => c.id)).toEqual(['c1', 'c2']);
  });
});
