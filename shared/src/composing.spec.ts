import { describe, expect, it } from 'vitest';
import {
  answered,
  channelChoice,
  notificationNotice,
  choiceAttributes,
  composerNotes,
  confirmationChip,
  dismissed,
  edited,
  insertAt,
  newIdempotencyKey,
  optedOutMessage,
  outgoing,
  questionView,
  problemOf,
  refused,
  segmentSummary,
  sendRequest,
  sent,
  sentNotice,
  startComposing,
  templateAsksConfirmation,
} from './composing.js';

const words = { confirm: ['SI', 'C'], decline: ['NO', 'N'] };

describe('segmentSummary', () => {
  it('counts GSM-7 text against 160, then 153 per segment, with the cost of one recipient', () => {
    expect(segmentSummary('x'.repeat(142)).line).toBe('142 / 160 · 1 segment · GSM-7 · ≈ $0.01');
    expect(segmentSummary('x'.repeat(161)).counter).toBe('161 / 306 · 2 segments · GSM-7');
    expect(segmentSummary('x'.repeat(1000)).segments).toBe(7);
  });

  it('switches to UCS-2 for an emoji, and has no cost when empty', () => {
    expect(segmentSummary('See you soon 😊')).toMatchObject({ counter: '15 / 70 · 1 segment · UCS-2', encoding: 'UCS-2' });
    expect(segmentSummary('')).toMatchObject({ line: '0 / 160 · 0 segments · GSM-7', cost: null });
  });
});

describe('outgoing', () => {
  const template = { patient: { id: 'p1', firstName: 'Maria' }, org: { name: 'Riverside' } };

  it('counts what goes out: the org’s request text added when confirmation is asked', () => {
    const asked = outgoing({ text: 'See you Tuesday at 10', requestsConfirmation: true }, { words });
    expect(asked.body).toBe('See you Tuesday at 10. Reply SI to confirm or NO to decline.');
    expect(asked.adds).toBe('Reply SI to confirm or NO to decline.');
    expect(asked.summary.counter).toBe('60 / 160 · 1 segment · GSM-7');
    expect(outgoing({ text: 'See you Tuesday at 10', requestsConfirmation: false }, { words })).toMatchObject({ adds: null, filled: false, body: 'See you Tuesday at 10' });
  });

  it('adds nothing to a text that already ends with the request, and counts nothing for an empty one', () => {
    const typed = outgoing({ text: 'Tuesday at 10. Reply C to confirm or N to decline.', requestsConfirmation: true });
    expect(typed).toMatchObject({ adds: null, filled: false });
    expect(outgoing({ text: '  ', requestsConfirmation: true }).summary.segments).toBe(0);
  });

  it('fills in tokens as the server will, for the preview and the count', () => {
    const out = outgoing({ text: 'Hi {{first_name}}, from {{org_name}}', requestsConfirmation: false }, { template });
    expect(out).toMatchObject({ body: 'Hi Maria, from Riverside', filled: true });
    expect(out.summary.counter).toMatch(/^24 \/ 160/);
  });
});

describe('templates that ask for confirmation', () => {
  it('are the ones marked so, or whose body ends with the org’s request text', () => {
    expect(templateAsksConfirmation({ body: 'See you soon.', requestsConfirmation: true }, words)).toBe(true);
    expect(templateAsksConfirmation({ body: 'See you soon. Reply SI to confirm or NO to decline.' }, words)).toBe(true);
    expect(templateAsksConfirmation({ body: 'See you soon. Reply C to confirm or N to decline.' }, words)).toBe(false);
    expect(templateAsksConfirmation({ body: 'Parking is behind the building.' }, words)).toBe(false);
  });
});

describe('confirmationChip', () => {
  it('is Confirmed, Declined or Awaiting the org’s words, on requests only', () => {
    expect(confirmationChip({ requestsConfirmation: true, confirmation: 'confirmed' })).toMatchObject({ label: 'Confirmed', tone: 'ok' });
    expect(confirmationChip({ requestsConfirmation: true, confirmation: 'declined' })).toMatchObject({ label: 'Declined', tone: 'error' });
    expect(confirmationChip({ requestsConfirmation: true, confirmation: null }, words)).toEqual({
      label: 'Awaiting SI/NO',
      tone: 'pending',
      title: 'Asked the patient to reply SI to confirm or NO to decline.',
    });
    expect(confirmationChip({ requestsConfirmation: false, confirmation: null })).toBeNull();
  });
});

describe('refusals and blocks', () => {
  it('an opt-out says what to do instead and disables the composer', () => {
    const message = optedOutMessage({ keyword: 'STOP', number: '(415) 555-0100', on: 'Nov 30, 2026' });
    expect(message).toBe('The patient opted out by replying STOP to (415) 555-0100 on Nov 30, 2026. They can text START to opt back in.');
    expect(problemOf({ reason: 'opted_out', message })).toMatchObject({
      label: 'Opted out',
      blocksComposer: true,
      text: `${message} Use Secure Chat or call them.`,
    });
  });

  it('an unknown or per-message refusal is shown as the server says it', () => {
    expect(problemOf({ reason: 'empty', message: 'Write a message first.' })).toMatchObject({ label: 'Empty message', instead: null, blocksComposer: false, text: 'Write a message first.' });
    expect(problemOf({ reason: null, message: 'Network down' })).toMatchObject({ label: null, blocksComposer: false, text: 'Network down' });
  });
});

describe('the send flow', () => {
  it('files go only with Secure Chat, and a secure message may be files alone', () => {
    const secure = edited(startComposing('', 'k0'), { text: '', channel: 'secure' }, 'k1');
    expect(sendRequest(secure)).toBeNull();
    expect(sendRequest(secure, ['f1', 'f2'])).toEqual({ body: '', channel: 'secure', idempotencyKey: 'k1', attachmentIds: ['f1', 'f2'] });
    const sms = edited(startComposing('', 'k0'), { text: 'Hi', channel: 'sms' }, 'k2');
    expect(sendRequest(sms, ['f1'])).toEqual({ body: 'Hi', idempotencyKey: 'k2' });
    expect(sendRequest(edited(sms, { text: '' }, 'k3'), ['f1'])).toBeNull();
  });

  it('asks about PHI, then resends the same message (same key) with confirmPhi', () => {
    let s = edited(startComposing('', 'k0'), { text: 'Your A1C is 9.2' }, 'k1');
    expect(sendRequest(s)).toEqual({ body: 'Your A1C is 9.2', idempotencyKey: 'k1' });
    s = refused(s, { reason: 'phi', message: 'Looks like lab results.' });
    expect(s.asked).toEqual({ kind: 'phi', message: 'Looks like lab results.' });
    s = answered(s, 'send_anyway');
    expect(s.asked).toBeNull();
    expect(sendRequest(s)).toEqual({ body: 'Your A1C is 9.2', idempotencyKey: 'k1', confirmPhi: true });
  });

  it('in quiet hours, offers the next send time, and the choice keeps what PHI already answered', () => {
    let s = answered(edited(startComposing(), { text: 'Results ready', requestsConfirmation: true }, 'k2'), 'send_anyway');
    s = refused(s, { reason: 'quiet_hours', message: 'Quiet hours.', details: { nextSendTime: '2026-11-24T14:00:00.000Z' } });
    expect(s.asked).toEqual({ kind: 'quiet', message: 'Quiet hours.', nextSendTime: '2026-11-24T14:00:00.000Z' });
    expect(sendRequest(answered(s, 'schedule'))).toEqual({ body: 'Results ready', idempotencyKey: 'k2', requestsConfirmation: true, confirmPhi: true, quietHours: 'schedule' });
    expect(dismissed(s)).toMatchObject({ asked: null, text: 'Results ready' });
  });

  it('editing the text (or the confirmation toggle) is a new message: new key, no answers carried over', () => {
    const s = answered(edited(startComposing(), { text: 'Hi' }, 'k1'), 'send_now');
    const changed = edited(s, { text: 'Hi there' }, 'k2');
    expect(sendRequest(changed)).toEqual({ body: 'Hi there', idempotencyKey: 'k2' });
    expect(edited(refused(s, { reason: 'opted_out', message: 'x' }), { requestsConfirmation: true }, 'k3')).toMatchObject({ problem: null, flags: {}, key: 'k3' });
  });

  it('a final refusal keeps the text and says why; a sent message leaves an empty composer with a new key', () => {
    const s = refused(edited(startComposing(), { text: 'Hello' }, 'k1'), { reason: 'landline', message: '(415) 555-0142 is a landline and cannot receive SMS.' });
    expect(s).toMatchObject({ text: 'Hello', asked: null, problem: { reason: 'landline', instead: 'Call them, or add a mobile number to their profile.' } });
    expect(sent('k9')).toEqual({ text: '', requestsConfirmation: false, key: 'k9', flags: {}, asked: null, problem: null });
    expect(sendRequest(sent('k9'))).toBeNull();
  });

  it('keys are new for every message and long enough for the server', () => {
    const keys = new Set(Array.from({ length: 50 }, newIdempotencyKey));
    expect(keys.size).toBe(50);
    for (const key of keys) expect(key.length).toBeGreaterThanOrEqual(8);
  });
});

describe('questions as asked', () => {
  const at = (iso: string) => iso.slice(11, 16);

  it('PHI: Send as Secure Chat is the first and focused choice, SMS anyway stays, cancel last', () => {
    const view = questionView({ kind: 'phi', message: 'Looks like lab results.' }, at);
    expect(view.title).toBe('This looks like PHI');
    expect(view.choices.map((c) => [c.testId, c.answer, c.label, choiceAttributes(c, false)])).toEqual([
      ['phi-send-secure', 'send_secure', 'Send as Secure Chat', { disabled: false, 'data-autofocus': true, 'data-testid': 'phi-send-secure' }],
      ['phi-send-anyway', 'send_anyway', 'Send as SMS anyway', { disabled: false, 'data-testid': 'phi-send-anyway' }],
      [null, null, 'Cancel', { disabled: false }],
    ]);
    // While the resend is in flight the answers wait; Cancel stays.
    expect(view.choices.map((c) => choiceAttributes(c, true).disabled)).toEqual([true, true, false]);
  });

  it('PHI answered with Secure Chat: the same text goes secure, as a new message (new key), without the SMS answers', () => {
    const asked = refused({ ...startComposing('Your A1C is 9.2', 'k1'), requestsConfirmation: true }, { reason: 'phi', message: 'Looks like lab results.' });
    const secure = answered(asked, 'send_secure', 'k2');
    expect(secure.channel).toBe('secure');
    expect(sendRequest(secure)).toEqual({ body: 'Your A1C is 9.2', channel: 'secure', idempotencyKey: 'k2', requestsConfirmation: true });
    // Secure Chat warns of no PHI and counts no SMS segments or cost.
    const out = outgoing(secure);
    expect(out.smsLine).toBeNull();
    expect(composerNotes(secure, out).map((n) => n.id)).toEqual([]);
    // SMS still counts, and still warns.
    const sms = startComposing('Your A1C is 9.2', 'k3');
    expect(outgoing(sms).smsLine).toBe('15 / 160 · 1 segment · GSM-7 · ≈ $0.01');
    expect(composerNotes(sms, outgoing(sms))[0]).toMatchObject({ id: 'phi-warning', text: expect.stringContaining('Send it as Secure Chat.') });
    // The next message after a secure send stays secure.
    expect(sent('k4', 'secure')).toMatchObject({ text: '', channel: 'secure', key: 'k4' });
  });

  it('channels: both only where SMS is possible, else Secure Chat alone with the reason SMS is not', () => {
    const ok = { available: true, reason: null };
    expect(channelChoice({ secure: ok, sms: ok })).toEqual({ offered: ['secure', 'sms'], preferred: 'sms', smsUnavailable: null, noneReason: null });
    const landline = { available: false, reason: '(415) 555-0142 is a landline and cannot receive SMS.' };
    expect(channelChoice({ secure: ok, sms: landline })).toEqual({ offered: ['secure'], preferred: 'secure', smsUnavailable: landline.reason, noneReason: null });
    const none = { available: false, reason: 'Select a patient.' };
    expect(channelChoice({ secure: none, sms: landline })).toMatchObject({ offered: [], preferred: null, noneReason: 'Select a patient.' });
    expect(channelChoice(null).offered).toEqual([]);
  });

  it('after a secure send: how the patient was told, or why they could not be', () => {
    const phone = (e: string) => `(415) 555-${e.slice(-4)}`;
    expect(notificationNotice({ via: 'sms', to: '+14155550100', sendAfter: null }, phone, at)).toEqual({ text: 'Sent as Secure Chat. Link sent by SMS to (415) 555-0100.', tone: 'info' });
    expect(notificationNotice({ via: 'sms', to: '+14155550100', sendAfter: '2026-11-24T14:00:00.000Z' }, phone, at)!.text).toContain('goes out at 14:00');
    expect(notificationNotice({ via: 'email', to: 'pat@example.com' }, phone, at)).toEqual({ text: 'Sent as Secure Chat. Link sent by email to pat@example.com.', tone: 'info' });
    expect(notificationNotice({ via: 'none', reason: 'The patient has no mobile number or email' }, phone, at)).toMatchObject({ tone: 'warning', text: expect.stringContaining('not told: The patient has no mobile number or email.') });
    expect(notificationNotice(undefined, phone, at)).toBeNull();
  });

  it('quiet hours: schedule names when it goes out and is the default', () => {
    const view = questionView({ kind: 'quiet', message: 'Quiet hours.', nextSendTime: '2026-11-24T14:00:00.000Z' }, at);
    expect(view.choices.find((c) => c.preferred)).toMatchObject({ id: 'schedule', answer: 'schedule', label: 'Schedule for 14:00' });
    expect(questionView({ kind: 'quiet', message: 'q', nextSendTime: null }, at).choices[2]!.label).toBe('Schedule for when quiet hours end');
  });

  it('after sending: the outbox or the quiet-hours schedule is said, an ordinary send says nothing', () => {
    expect(sentNotice({ queuedOffline: true, sendAfter: null }, at)).toContain('Saved to the outbox');
    expect(sentNotice({ sendAfter: '2026-11-24T14:00:00.000Z' }, at)).toBe('Scheduled for 14:00, when quiet hours end.');
    expect(sentNotice({ sendAfter: null }, at)).toBeNull();
  });
});

describe('insertAt', () => {
  it('replaces the selection, spaces the snippet from a word before it, and says where the cursor goes', () => {
    expect(insertAt('Hi there', { start: 2, end: 8 }, '{{first_name}}')).toEqual({ text: 'Hi {{first_name}}', cursor: 17 });
    expect(insertAt('Hello ', null, 'x')).toEqual({ text: 'Hello x', cursor: 7 });
    expect(insertAt('', null, 'x')).toEqual({ text: 'x', cursor: 1 });
  });
});

describe('composerNotes', () => {
  const template = { patient: { id: 'p1', firstName: 'Maria' }, org: { name: 'Riverside' } };

  it('previews filled-in tokens, warns about PHI in what goes out, then says why the last send was refused', () => {
    let s = edited(startComposing(), { text: 'Hi {{first_name}}, your A1C is 9.2' });
    const out = outgoing(s, { template });
    s = refused(s, { reason: 'blocked', message: 'The clinic has blocked texting this patient.' });
    expect(composerNotes(s, out).map((n) => [n.id, n.tone, n.alert])).toEqual([
      ['composer-preview', 'muted', false],
      ['phi-warning', 'warn', false],
      ['send-error', 'error', true],
    ]);
    expect(composerNotes(s, out)[0]!.text).toBe('Preview: Hi Maria, your A1C is 9.2');
    expect(composerNotes(s, out)[2]).toMatchObject({ reason: 'blocked', text: 'The clinic has blocked texting this patient. Call them, or use Secure Chat.' });
  });

  it('names tokens nothing fills in, which would go out as typed', () => {
    const s = edited(startComposing(), { text: 'Hi {{firstname}} and {{ nick }}' });
    expect(composerNotes(s, outgoing(s, { template })).find((n) => n.id === 'unknown-tokens')!.text).toBe(
      'Unknown tokens {{firstname}}, {{ nick }}: they would be sent as written. Use one of the Personalize tokens.',
    );
  });

  it('says nothing for a plain text, even with the confirmation request added', () => {
    const s = edited(startComposing(), { text: 'See you Tuesday', requestsConfirmation: true });
    expect(composerNotes(s, outgoing(s, { template }))).toEqual([]);
  });
});

describe('the {{phone}} token', () => {
  it('is shown as the surface formats numbers, or as stored when it gives no formatter', () => {
    const draft = { text: 'Is {{phone}} still yours?', requestsConfirmation: false };
    const template = { patient: { id: 'p1', phone: '+14155550142' }, org: { name: 'Riverside' } };
    expect(outgoing(draft, { template, formatPhone: () => '(415) 555-0142' }).body).toBe('Is (415) 555-0142 still yours?');
    expect(outgoing(draft, { template }).body).toBe('Is +14155550142 still yours?');
  });
});
