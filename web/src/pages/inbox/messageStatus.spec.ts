import { describe, expect, it } from 'vitest';
import { messageStatus } from './messageStatus';

const outbound = (patch: Partial<Parameters<typeof messageStatus>[0]>) => ({ direction: 'outbound', status: 'queued', errorCode: null, errorMessage: null, sendAfter: null, ...patch });
const now = new Date('2026-04-22T15:00:00Z');

describe('messageStatus', () => {
  it('names each step of an outbound text the way staff read it', () => {
    expect(['queued', 'sending', 'sent', 'delivered'].map((status) => messageStatus(outbound({ status }), now)?.label)).toEqual(['Queued', 'Sending', 'Sent', 'Delivered']);
    expect(messageStatus(outbound({ status: 'delivered' }), now)?.tone).toBe('ok');
  });

  it('says why a text did not arrive, with the carrier code', () => {
    const undelivered = messageStatus(outbound({ status: 'undelivered', errorCode: '30006', errorMessage: 'Landline or unreachable carrier' }), now)!;
    expect(undelivered).toEqual({ label: 'Undelivered', tone: 'error', detail: 'Landline or unreachable carrier (error 30006)' });
    expect(messageStatus(outbound({ status: 'failed', errorCode: '30005' }), now)).toEqual({ label: 'Failed', tone: 'error', detail: '(error 30005)' });
  });

  it('shows a message held for quiet hours as scheduled, and as queued once its time has come', () => {
    const held = messageStatus(outbound({ sendAfter: new Date('2026-04-23T13:00:00Z') }), now)!;
    expect(held.label).toMatch(/^Scheduled for /);
    expect(held.tone).toBe('pending');
    expect(messageStatus(outbound({ sendAfter: new Date('2026-04-22T14:00:00Z') }), now)?.label).toBe('Queued');
  });

  it('gives the patient’s own messages no delivery status', () => {
    expect(messageStatus({ ...outbound({ status: 'received' }), direction: 'inbound' }, now)).toBeNull();
  });
});
