import { describe, expect, it } from 'vitest';
import { BLOCK_REASON_LABELS, BLOCK_REASONS, CANCEL_REASON_LABELS, CANCEL_REASONS, cancelText, describeStatus, isBlockReason, MESSAGE_STATUSES, movesForward, refusalAsksConfirmation, STATUS_RANK, statusRank } from './message-status.js';

const outbound = (patch: Partial<Parameters<typeof describeStatus>[0]>) => ({ direction: 'outbound', status: 'queued', errorCode: null, errorMessage: null, sendAfter: null, ...patch });
const now = new Date('2026-04-22T15:00:00Z');
const iso = (d: Date | string) => new Date(d).toISOString();

describe('message status order', () => {
  it('ranks every stored status, and the carrier words we rank', () => {
    for (const s of MESSAGE_STATUSES) expect(Object.hasOwn(STATUS_RANK, s), s).toBe(true);
    expect(STATUS_RANK).toMatchObject({ accepted: 0, scheduled: 0, queued: 0, sending: 1, sent: 2, delivered: 3, undelivered: 3, failed: 3, canceled: 3, read: 4 });
  });

  it('moves only forward: a late "sent" never undoes "delivered", a final status stays final', () => {
    expect(movesForward('queued', 'sending')).toBe(true);
    expect(movesForward('sent', 'delivered')).toBe(true);
    expect(movesForward('delivered', 'sent')).toBe(false);
    expect(movesForward('delivered', 'failed')).toBe(false);
    expect(movesForward('canceled', 'sent')).toBe(false);
    expect(movesForward('canceled', 'delivered')).toBe(false);
    expect(movesForward('delivered', 'read')).toBe(true);
  });

  it('ranks an unknown word lowest, so it overwrites nothing (and no prototype key counts)', () => {
    expect(statusRank('exploded')).toBe(0);
    expect(statusRank('toString')).toBe(0);
    expect(movesForward('queued', 'exploded')).toBe(false);
  });
});

describe('send refusals', () => {
  it('labels every reason, including number_released', () => {
    expect(Object.keys(BLOCK_REASON_LABELS).sort()).toEqual([...BLOCK_REASONS].sort());
    expect(BLOCK_REASON_LABELS.number_released).toBe('Number released');
    for (const r of BLOCK_REASONS) expect(BLOCK_REASON_LABELS[r].length).toBeGreaterThan(0);
  });

  it('knows its reasons and which the sender may override', () => {
    expect(isBlockReason('opted_out')).toBe(true);
    expect(isBlockReason('offline')).toBe(false);
    expect(BLOCK_REASONS.filter(refusalAsksConfirmation)).toEqual(['phi', 'quiet_hours']);
  });
});

describe('describeStatus', () => {
  it('names each step of an outbound text the way staff read it', () => {
    expect(['queued', 'sending', 'sent', 'delivered'].map((status) => describeStatus(outbound({ status }), iso, now)?.label)).toEqual(['Queued', 'Sending', 'Sent', 'Delivered']);
  });

  it('says why a text did not arrive, with the carrier code', () => {
    expect(describeStatus(outbound({ status: 'undelivered', errorCode: '30006', errorMessage: 'Landline' }), iso, now)).toEqual({ label: 'Undelivered', tone: 'error', detail: 'Landline (error 30006)' });
    expect(describeStatus(outbound({ status: 'failed', errorCode: '30005' }), iso, now)).toEqual({ label: 'Failed', tone: 'error', detail: '(error 30005)' });
  });

  it('shows a canceled text as Canceled with why it was not sent', () => {
    const why = 'Not sent: the patient opted out of texts.';
    expect(describeStatus(outbound({ status: 'canceled', errorMessage: why }), iso, now)).toEqual({ label: 'Canceled', tone: 'muted', detail: why });
  });

  it('shows a text held for quiet hours as scheduled, with the surface’s own time format', () => {
    expect(describeStatus(outbound({ sendAfter: '2026-04-23T13:00:00Z' }), iso, now)).toMatchObject({ label: 'Scheduled for 2026-04-23T13:00:00.000Z', tone: 'pending' });
    expect(describeStatus(outbound({ sendAfter: '2026-04-22T14:00:00Z' }), iso, now)?.label).toBe('Queued');
  });

  it('gives the patient’s own messages no delivery status', () => {
    expect(describeStatus({ ...outbound({ status: 'received' }), direction: 'inbound' }, iso, now)).toBeNull();
  });
});

describe('cancel reasons', () => {
  it('each has a label and the sentence shown under the canceled message', () => {
    for (const reason of CANCEL_REASONS) {
      expect(CANCEL_REASON_LABELS[reason]).toBeTruthy();
      expect(cancelText(reason)).toMatch(/^Not sent: /);
    }
    expect(cancelText('opted_out', { number: '+14155550123' })).toBe('Not sent: the patient opted out of texts from (415) 555-0123.');
    expect(cancelText('released', { number: '+14155550123', releasedAt: new Date('2026-03-02T10:00:00Z') })).toBe('Not sent: the number (415) 555-0123 was released on 2026-03-02.');
  });
});
