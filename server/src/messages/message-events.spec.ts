import { describe, expect, it } from 'vitest';
import type { Message } from '../generated/prisma/client.js';
import { decode, encode, MAX_NOTIFY_BYTES } from '../events/pg-notify-event-bus.js';
import { lastMessage, messageCreated } from './message-events.js';
import { MAX_BODY } from './messaging.service.js';

describe('live message events', () => {
  it('a new message of the longest body we send, in 3-byte characters with media, fits one NOTIFY payload', () => {
    const body = '€'.repeat(MAX_BODY);
    const at = new Date('2026-05-01T10:00:00.000Z');
    const message = {
      id: crypto.randomUUID(), orgId: crypto.randomUUID(), conversationId: crypto.randomUUID(), direction: 'inbound', channel: 'mms', body, status: 'received', statusRank: 0,
      errorCode: '30008', errorMessage: 'Unknown error: the carrier gave no reason.', senderId: crypto.randomUUID(), segments: 24, requestsConfirmation: true, confirmation: 'confirmed',
      answersMessageId: crypto.randomUUID(), sendAfter: at, createdAt: at, sentAt: at, deliveredAt: at,
      mediaUrls: [`https://api.twilio.com/2010-04-01/Accounts/AC${'0'.repeat(32)}/Messages/MM${'0'.repeat(32)}/Media/ME${'0'.repeat(32)}`],
    } as Message;
    const event = messageCreated(message, { teamId: crypto.randomUUID(), patientId: crypto.randomUUID() }, { ...lastMessage(message), unreadCount: 12, optOut: { keyword: 'STOP', at } });
    // As it goes through the channel: with its organization, Dates tagged.
    const payload = encode({ o: message.orgId, e: event });
    expect(Buffer.byteLength(payload)).toBeLessThanOrEqual(MAX_NOTIFY_BYTES);
    // PostgreSQL NOTIFY refuses payloads of 8000 bytes or more.
    expect(MAX_NOTIFY_BYTES).toBeLessThan(8000);
  });

  it('comes out of the channel as it went in: Dates as Dates, a body that looks like a date as text', () => {
    const at = new Date('2026-05-01T10:00:00.000Z');
    const message = {
      id: 'm1', orgId: 'o1', conversationId: 'c1', direction: 'inbound', channel: 'sms', body: '2026-05-01T10:00:00.000Z', status: 'received', statusRank: 0,
      errorCode: null, errorMessage: null, senderId: null, segments: 1, requestsConfirmation: false, confirmation: null,
      answersMessageId: null, sendAfter: null, createdAt: at, sentAt: null, deliveredAt: null, mediaUrls: [],
    } as unknown as Message;
    const event = messageCreated(message, { teamId: 't1', patientId: null }, lastMessage(message));
    const back = decode(encode({ o: 'o1', e: event }));
    expect(back).toEqual({ o: 'o1', e: event });
    expect((back as { e: { message: { createdAt: unknown; body: unknown } } }).e.message.createdAt).toBeInstanceOf(Date);
    expect((back as { e: { message: { body: unknown } } }).e.message.body).toBe('2026-05-01T10:00:00.000Z');
  });
});
