import { describe, expect, it } from 'vitest';
import { addMessage, patchMessage, patchMessages } from './live-message.js';

const sent = { id: 'm1', status: 'sent', errorCode: null, errorMessage: null, confirmation: null, requestsConfirmation: true, body: 'Reply C to confirm', createdAt: '2026-05-01T10:00:00.000Z' };
const change = (status: string, extra: Record<string, unknown> = {}) => ({ id: 'm1', status, errorCode: null, errorMessage: null, confirmation: null, ...extra });

describe('patchMessage: live changes on a shown message', () => {
  it('moves the status forward with its error, never back', () => {
    expect(patchMessage(sent, change('delivered')).status).toBe('delivered');
    expect(patchMessage(sent, change('undelivered', { errorCode: '30006', errorMessage: 'Landline' }))).toMatchObject({ status: 'undelivered', errorCode: '30006', errorMessage: 'Landline' });
    const delivered = patchMessage(sent, change('delivered'));
    expect(patchMessage(delivered, change('sent'))).toBe(delivered);
    expect(patchMessage(delivered, change('sending'))).toBe(delivered);
    expect(patchMessage(delivered, change('failed', { errorCode: '30008' }))).toBe(delivered);
  });

  it("takes the patient's answer at any status, and keeps it", () => {
    const confirmed = patchMessage({ ...sent, status: 'delivered' }, change('delivered', { confirmation: 'confirmed' }));
    expect(confirmed).toMatchObject({ status: 'delivered', confirmation: 'confirmed' });
    expect(patchMessage(confirmed, change('delivered'))).toBe(confirmed);
  });

  it("takes a secure message's read receipt without a status change, and keeps it", () => {
    const secure = { ...sent, readAt: null };
    const read = patchMessage(secure, change('sent', { readAt: '2026-05-01T10:05:00.000Z' }));
    expect(read).toMatchObject({ status: 'sent', readAt: '2026-05-01T10:05:00.000Z' });
    expect(patchMessage(read, change('sent', { readAt: null }))).toBe(read);
    expect(patchMessage(secure, change('sent'))).toBe(secure);
  });

  it('leaves other messages and unknown ids alone', () => {
    const list = [sent, { ...sent, id: 'm2' }];
    expect(patchMessages(list, { ...change('delivered'), id: 'nope' })).toBe(list);
    expect(patchMessages(list, change('delivered')).map((m) => m.status)).toEqual(['delivered', 'sent']);
  });
});

describe('addMessage: a new message once, in time order', () => {
  const at = (id: string, createdAt: string, status = 'received') => ({ ...sent, id, status, createdAt });
  it('appends once however often it arrives, keeping the furthest state', () => {
    const one = addMessage([sent], at('m2', '2026-05-01T10:05:00.000Z', 'queued'));
    expect(addMessage(one, at('m2', '2026-05-01T10:05:00.000Z', 'queued'))).toEqual(one);
    const later = patchMessages(one, { ...change('sent'), id: 'm2' });
    expect(addMessage(later, at('m2', '2026-05-01T10:05:00.000Z', 'queued')).map((m) => [m.id, m.status])).toEqual([
      ['m1', 'sent'],
      ['m2', 'sent'],
    ]);
  });

  it('slots a late arrival in by its time', () => {
    const list = [sent, at('m3', '2026-05-01T10:10:00.000Z')];
    expect(addMessage(list, at('m2', '2026-05-01T10:05:00.000Z')).map((m) => m.id)).toEqual(['m1', 'm2', 'm3']);
  });
});

describe('recall, live', () => {
  it('a recall clears the body and files for good; a file recall replaces the files', () => {
    const shown = { ...sent, recalled: false, attachments: [{ id: 'a1', fileName: 'scan.png', contentType: 'image/png', size: 10, recalled: false }] };
    const oneFile = patchMessage(shown, { ...change('sent'), attachments: [{ id: 'a1', fileName: 'scan.png', contentType: 'image/png', size: 10, recalled: true }] });
    expect(oneFile.attachments[0]!.recalled).toBe(true);
    expect(oneFile.body).toBe(sent.body);
    const gone = patchMessage(shown, { ...change('sent'), recalled: true, attachments: [] });
    expect(gone).toMatchObject({ recalled: true, body: '', attachments: [] });
    expect(patchMessage(gone, { ...change('sent'), recalled: true, attachments: [] })).toBe(gone);
  });
});
