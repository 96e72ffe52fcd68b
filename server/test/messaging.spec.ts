import { smsSegments } from '@caretext/shared';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SendWorker } from '../src/messages/send-worker.js';
import { StatusService } from '../src/messages/status.service.js';
import { errorOf, messageReaches, signUp, smsClinic, startTestServer, type TestServer, waitFor } from './harness.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});



let phoneCounter = 3000; // clear of the simulator's special suffixes (0003-0011, 0211, 0614, 0635)
/** A distinct mobile number per test (the simulator decides behaviour by the last 4 digits). */
const nextPhone = (suffix?: string) => `+1415555${suffix ?? String(phoneCounter++).padStart(4, '0')}`;

async function send(clinic: Awaited<ReturnType<typeof smsClinic>>, body: string, extra: Record<string, unknown> = {}) {
  return clinic.member.api.conversations.send.mutate({ conversationId: clinic.conversationId, body, ...extra });
}

describe('sending SMS through the Twilio SDK and the simulator', () => {
  it('send -> simulator -> signed callbacks -> Delivered, in order, with the sender and segments', async () => {
    const clinic = await smsClinic(server, nextPhone());
    const sent = await send(clinic, 'Hi {{first_name}}, your appointment at {{org_name}} is tomorrow at 9:30.');
    expect(sent).toMatchObject({ duplicate: false, status: 'queued' });
    const message = await messageReaches(server, sent.messageId, ['delivered']);
    expect(message).toMatchObject({ body: 'Hi Amina, your appointment at SMS Clinic is tomorrow at 9:30.', segments: 1, encoding: 'GSM-7' });
    expect(message.carrierSid).toMatch(/^SM[0-9a-f]{32}$/);
    const carried = server.simulator!.messages().find((m) => m.sid === message.carrierSid)!;
    expect(carried).toMatchObject({ to: clinic.patient.phone, from: clinic.number.e164 });
    const events = await server.db.prisma.carrierEvent.findMany({ where: { messageSid: message.carrierSid! }, orderBy: { receivedAt: 'asc' } });
    expect(events.map((e) => e.status)).toEqual(['sent', 'delivered']);
    const view = await clinic.member.api.conversations.get.query({ conversationId: clinic.conversationId });
    expect(view.messages.at(-1)).toMatchObject({ status: 'delivered', sender: 'A member', direction: 'outbound' });
  });

  it('a number the carrier reports as a landline ends as undelivered 30006', async () => {
    const clinic = await smsClinic(server, nextPhone('0006'));
    // Staff recorded it as mobile, so no lookup stops it: the carrier's answer is what we get.
    await clinic.member.api.patients.update.mutate({ patientId: clinic.patient.id, phoneLineType: 'mobile' });
    const sent = await send(clinic, 'Reminder: see you tomorrow.');
    const message = await messageReaches(server, sent.messageId, ['undelivered', 'failed']);
    expect(message).toMatchObject({ status: 'undelivered', errorCode: '30006', errorMessage: 'Landline — cannot receive SMS' });
  });

  it('a landline found by lookup is refused before reaching the carrier', async () => {
    const clinic = await smsClinic(server, nextPhone('0006'));
    const before = server.simulator!.messages().length;
    const err = await errorOf(send(clinic, 'Reminder'));
    expect(err).toMatchObject({ code: 'BAD_REQUEST', message: '(415) 555-0006 is a landline and cannot receive SMS.' });
    expect(server.simulator!.messages().length).toBe(before);
    expect((await server.db.prisma.patient.findUniqueOrThrow({ where: { id: clinic.patient.id } })).phoneLineType).toBe('landline');
  });

  it('the same idempotency key sends once, however often it is retried', async () => {
    const clinic = await smsClinic(server, nextPhone());
    const key = 'outbox-7f1c2d9e-0001';
    const results = await Promise.all([send(clinic, 'Once only', { idempotencyKey: key }), send(clinic, 'Once only', { idempotencyKey: key })]);
    const again = await send(clinic, 'Once only', { idempotencyKey: key });
    expect(new Set([...results, again].map((r) => r.messageId)).size).toBe(1);
    expect(again.duplicate).toBe(true);
    await messageReaches(server, again.messageId, ['delivered']);
    expect(server.simulator!.messages().filter((m) => m.body === 'Once only' && m.to === clinic.patient.phone)).toHaveLength(1);
  });

  it('a send by patient and team starts the conversation in the same call; a retry returns the same message, never a second conversation', async () => {
    const clinic = await smsClinic(server, nextPhone());
    const patient = await clinic.member.api.patients.create.mutate({ firstName: 'Noor', phone: nextPhone() });
    const first = { teamId: clinic.team.id, patientId: patient.id, body: 'Hi {{first_name}}, welcome to {{org_name}}.', idempotencyKey: 'sidebar-first-send-0001' };
    const [a, b] = await Promise.all([clinic.member.api.conversations.send.mutate(first), clinic.member.api.conversations.send.mutate(first)]);
    const again = await clinic.member.api.conversations.send.mutate(first);
    expect(new Set([a, b, again].map((r) => r.messageId)).size).toBe(1);
    expect(again).toMatchObject({ duplicate: true, conversationId: a.conversationId });
    const conversations = await server.db.prisma.conversation.findMany({ where: { patientId: patient.id } });
    expect(conversations.map((c) => c.id)).toEqual([a.conversationId]);
    expect(await clinic.member.api.conversations.forPatient.query({ patientId: patient.id })).toMatchObject({ conversations: [{ id: a.conversationId }] });
    // The next message by patient lands in the same conversation, as one by conversation does.
    const next = await clinic.member.api.conversations.send.mutate({ teamId: clinic.team.id, patientId: patient.id, body: 'Second', idempotencyKey: 'sidebar-next-send-0002' });
    const byId = await clinic.member.api.conversations.send.mutate({ conversationId: a.conversationId, body: 'Third' });
    expect([next.conversationId, byId.conversationId]).toEqual([a.conversationId, a.conversationId]);
    await messageReaches(server, a.messageId, ['delivered']);
    expect(server.simulator!.messages().filter((m) => m.to === patient.phone).map((m) => m.body)).toContain('Hi Noor, welcome to SMS Clinic.');
    expect(server.simulator!.messages().filter((m) => m.body === 'Hi Noor, welcome to SMS Clinic.')).toHaveLength(1);
    // The team's number is replaced before the outbox's retry arrives: the retry finds its first
    // message and opens no conversation on the new number.
    await clinic.owner.api.numbers.release.mutate({ numberId: clinic.number.id });
    const [available] = await clinic.owner.api.numbers.search.query({ areaCode: '415' });
    await clinic.owner.api.numbers.buy.mutate({ phoneNumber: available!.phoneNumber, teamId: clinic.team.id });
    expect(await clinic.member.api.conversations.send.mutate(first)).toMatchObject({ duplicate: true, messageId: a.messageId, conversationId: a.conversationId });
    expect(await server.db.prisma.conversation.count({ where: { patientId: patient.id } })).toBe(1);
    // A send names one target: a conversation, or a patient and a team.
    for (const bad of [{ conversationId: a.conversationId, patientId: patient.id }, { patientId: patient.id }, {}]) {
      expect((await errorOf(clinic.member.api.conversations.send.mutate({ ...bad, body: 'Which?' }))).code).toBe('BAD_REQUEST');
    }
  });

  it('the PHI guard stops a plain SMS that looks like lab results until the sender confirms', async () => {
    const clinic = await smsClinic(server, nextPhone());
    const err = await errorOf(send(clinic, 'Your lab results came back positive.'));
    expect(err.code).toBe('PRECONDITION_FAILED');
    expect(err.message).toContain('lab or test results');
    const sent = await send(clinic, 'Your lab results came back positive.', { confirmPhi: true });
    await messageReaches(server, sent.messageId, ['delivered']);
  });

  it('quiet hours: a manual send asks first; "schedule" holds it until the window opens', async () => {
    const clinic = await smsClinic(server, nextPhone());
    const start = server.clock.now();
    // The clinic is in Chicago: 16:00Z is 11:00 there; jump to 21:30.
    server.clock.advance(10.5 * 3600_000);
    try {
      const err = await errorOf(send(clinic, 'Late reminder'));
      expect(err.code).toBe('PRECONDITION_FAILED');
      expect(err.message).toContain('quiet hours');
      const held = await send(clinic, 'Late reminder', { quietHours: 'schedule' });
      expect(held.sendAfter?.toISOString()).toBe('2026-04-23T13:00:00.000Z'); // 08:00 CDT
      await server.app.get(SendWorker).drain();
      expect((await server.db.prisma.message.findUniqueOrThrow({ where: { id: held.messageId } })).status).toBe('queued');
      const now = await send(clinic, 'Urgent: clinic closed tomorrow', { quietHours: 'send_now' });
      await messageReaches(server, now.messageId, ['delivered']);
      server.clock.advance(10 * 3600_000); // 07:30 CDT: still held
      await server.app.get(SendWorker).drain();
      expect((await server.db.prisma.message.findUniqueOrThrow({ where: { id: held.messageId } })).status).toBe('queued');
      server.clock.advance(3600_000); // 08:30 CDT
      await server.app.get(SendWorker).drain();
      await messageReaches(server, held.messageId, ['delivered']);
    } finally {
      server.clock.advance(start.getTime() - server.clock.now().getTime() + 24 * 3600_000);
    }
  });
});

describe('replies, keywords and confirmation', () => {
  it('STOP opts out of that number (refused before the carrier), START opts back in, HELP gets the org reply', async () => {
    const clinic = await smsClinic(server, nextPhone());
    await server.simulator!.simulateInbound({ from: clinic.patient.phone!, to: clinic.number.e164, body: ' stop ' });
    const err = await errorOf(send(clinic, 'Are you there?'));
    expect(err.message).toContain('opted out by replying STOP');
    const profile = await clinic.member.api.patients.get.query({ patientId: clinic.patient.id });
    expect(profile.consentHistory[0]).toMatchObject({ kind: 'sms_opt_out', granted: true, source: 'keyword' });
    expect((await clinic.owner.api.audit.list.query({ action: 'patient.opted_out' })).events).toHaveLength(1);
    expect((await clinic.member.api.conversations.get.query({ conversationId: clinic.conversationId })).optOut).toMatchObject({ keyword: 'STOP' });
    const availability = () => clinic.member.api.conversations.availability.query({ teamId: clinic.team.id, patientIds: [clinic.patient.id] });
    expect((await availability()).sms).toMatchObject({ available: false, blockedBy: 'opted_out', reason: expect.stringContaining('They can text START to opt back in.') });

    await server.simulator!.simulateInbound({ from: clinic.patient.phone!, to: clinic.number.e164, body: 'START' });
    expect((await availability()).sms).toEqual({ available: true, reason: null, blockedBy: null });
    const sent = await send(clinic, 'Welcome back');
    await messageReaches(server, sent.messageId, ['delivered']);

    await server.simulator!.simulateInbound({ from: clinic.patient.phone!, to: clinic.number.e164, body: 'help' });
    const reply = await waitFor(async () => {
      await server.app.get(SendWorker).drain();
      return server.db.prisma.message.findFirst({ where: { conversationId: clinic.conversationId, automated: true, status: 'delivered' } });
    });
    expect(reply.body).toContain('SMS Clinic');
    expect(reply.body).toContain('Reply STOP to opt out');
  });

  it('"STOP please" is an ordinary message', async () => {
    const clinic = await smsClinic(server, nextPhone());
    await server.simulator!.simulateInbound({ from: clinic.patient.phone!, to: clinic.number.e164, body: 'STOP please' });
    expect(await server.db.prisma.smsOptOut.count({ where: { phone: clinic.patient.phone! } })).toBe(0);
    const view = await clinic.member.api.conversations.get.query({ conversationId: clinic.conversationId });
    expect(view.messages.at(-1)).toMatchObject({ direction: 'inbound', body: 'STOP please', status: 'received' });
  });

  it('a carrier 21610 marks the patient opted out even when we had not heard the STOP', async () => {
    const clinic = await smsClinic(server, nextPhone());
    await server.simulator!.simulateInbound({ from: clinic.patient.phone!, to: clinic.number.e164, body: 'STOP' });
    await server.db.prisma.smsOptOut.deleteMany({ where: { phone: clinic.patient.phone! } }); // as if the webhook was lost
    const sent = await send(clinic, 'Hello?');
    const message = await messageReaches(server, sent.messageId, ['failed']);
    expect(message).toMatchObject({ errorCode: '21610', errorMessage: 'Recipient opted out (replied STOP)' });
    expect(await server.db.prisma.smsOptOut.count({ where: { phone: clinic.patient.phone! } })).toBe(1);
  });

  it('a reply of C or N answers every open confirmation request, shows as Confirmed/Declined, and gets the org acknowledgement once', async () => {
    const clinic = await smsClinic(server, nextPhone());
    const thread = () => clinic.member.api.conversations.get.query({ conversationId: clinic.conversationId });
    const replies = () => server.db.prisma.message.findMany({ where: { conversationId: clinic.conversationId, autoReply: { not: null } }, orderBy: { createdAt: 'asc' } });
    // The server adds the request in the org's words; segments count what is sent.
    const long = 'Reminder: your appointment with Dr. Rivera at the Main Street clinic is on Tuesday at 9:30 AM. Please arrive 15 minutes early to check in.';
    expect(smsSegments(long).segments).toBe(1);
    const first = await send(clinic, long, { requestsConfirmation: true });
    const firstRow = await messageReaches(server, first.messageId, ['delivered']);
    expect(firstRow).toMatchObject({ body: `${long} Reply C to confirm or N to decline.`, segments: 2, requestsConfirmation: true });
    const second = await send(clinic, 'Second reminder: Tuesday 9:30 AM. Reply C to confirm or N to decline.', { requestsConfirmation: true });
    expect((await messageReaches(server, second.messageId, ['delivered'])).body).toBe('Second reminder: Tuesday 9:30 AM. Reply C to confirm or N to decline.');

    await server.simulator!.simulateInbound({ from: clinic.patient.phone!, to: clinic.number.e164, body: 'c' });
    let view = await thread();
    // Both reminders are answered, not only the latest; the reply points at the latest.
    expect(view.messages.filter((m) => m.requestsConfirmation).map((m) => m.confirmation)).toEqual(['confirmed', 'confirmed']);
    expect(view.messages.find((m) => m.body === 'c')).toMatchObject({ answersMessageId: second.messageId });
    const [ack] = await replies();
    expect(ack).toMatchObject({ direction: 'outbound', automated: true, autoReply: 'confirmed', body: "Thanks, you're confirmed. See you soon!" });
    await messageReaches(server, ack!.id, ['delivered']);
    expect(server.simulator!.messages().filter((m) => m.to === clinic.patient.phone && m.body === ack!.body)).toHaveLength(1);

    // "C" again with nothing open: just a message, no second acknowledgement. YES does not opt anything.
    await server.simulator!.simulateInbound({ from: clinic.patient.phone!, to: clinic.number.e164, body: 'C' });
    await server.simulator!.simulateInbound({ from: clinic.patient.phone!, to: clinic.number.e164, body: 'YES' });
    await server.app.get(SendWorker).drain();
    expect(await replies()).toHaveLength(1);
    expect(await server.db.prisma.smsOptOut.count({ where: { phone: clinic.patient.phone! } })).toBe(0);

    // The acknowledgements are the org's own; an empty one sends nothing.
    const words = { helpReply: null, contactPhone: null, confirmKeywords: ['C'], declineKeywords: ['N'] };
    await clinic.owner.api.orgs.updateReplies.mutate({ ...words, confirmAckReply: '', declineAckReply: 'Sorry to hear it. Call (415) 555-0100 to pick another time.' });
    expect(await clinic.member.api.orgs.replies.query()).toMatchObject({ confirmAckReply: '', declineAckReply: 'Sorry to hear it. Call (415) 555-0100 to pick another time.' });
    const third = await send(clinic, 'Friday 2 PM with Dr. Rivera', { requestsConfirmation: true });
    await messageReaches(server, third.messageId, ['delivered']);
    await server.simulator!.simulateInbound({ from: clinic.patient.phone!, to: clinic.number.e164, body: 'N' });
    view = await thread();
    expect(view.messages.find((m) => m.id === third.messageId)).toMatchObject({ body: 'Friday 2 PM with Dr. Rivera. Reply C to confirm or N to decline.', confirmation: 'declined' });
    expect((await replies()).map((r) => [r.autoReply, r.body])).toEqual([
      ['confirmed', "Thanks, you're confirmed. See you soon!"],
      ['declined', 'Sorry to hear it. Call (415) 555-0100 to pick another time.'],
    ]);
    const fourth = await send(clinic, 'Monday 8 AM', { requestsConfirmation: true });
    await messageReaches(server, fourth.messageId, ['delivered']);
    await server.simulator!.simulateInbound({ from: clinic.patient.phone!, to: clinic.number.e164, body: 'C' });
    expect((await thread()).messages.find((m) => m.id === fourth.messageId)!.confirmation).toBe('confirmed');
    expect(await replies()).toHaveLength(2);
    // A client that does not know the acknowledgements leaves them as they are.
    await clinic.owner.api.orgs.updateReplies.mutate(words);
    expect(await clinic.member.api.orgs.replies.query()).toMatchObject({ confirmAckReply: '', declineAckReply: 'Sorry to hear it. Call (415) 555-0100 to pick another time.' });
  });

  it('a template can ask the patient to confirm: saved, listed for the composer, kept by an edit that does not say', async () => {
    const clinic = await smsClinic(server, nextPhone());
    const listed = async () => (await clinic.member.api.templates.list.query({ teamId: clinic.team.id })).map((t) => [t.name, t.requestsConfirmation]);
    const { id } = await clinic.member.api.templates.save.mutate({ teamId: clinic.team.id, name: 'Reminder', body: 'Hi {{first_name}}, see you Tuesday at 9:30.', requestsConfirmation: true });
    await clinic.member.api.templates.save.mutate({ teamId: clinic.team.id, name: 'Directions', body: 'We are at 12 Main Street, 2nd floor.' });
    expect(await listed()).toEqual([['Directions', false], ['Reminder', true]]);
    await clinic.member.api.templates.save.mutate({ templateId: id, teamId: clinic.team.id, name: 'Reminder', body: 'Hi {{first_name}}, see you Wednesday at 9:30.' });
    expect(await listed()).toEqual([['Directions', false], ['Reminder', true]]);
    await clinic.member.api.templates.save.mutate({ templateId: id, teamId: clinic.team.id, name: 'Reminder', body: 'Hi {{first_name}}, see you Wednesday at 9:30.', requestsConfirmation: false });
    expect(await listed()).toEqual([['Directions', false], ['Reminder', false]]);
  });

  it('an acknowledgement still waiting when the patient opts out is canceled; the HELP reply still goes to the carrier', async () => {
    const clinic = await smsClinic(server, nextPhone());
    await server.simulator!.simulateInbound({ from: clinic.patient.phone!, to: clinic.number.e164, body: 'STOP' });
    const queued = (autoReply: string, body: string) =>
      server.db.prisma.message.create({
        data: { orgId: clinic.org.id, conversationId: clinic.conversationId, direction: 'outbound', channel: 'sms', body, status: 'queued', fromNumber: clinic.number.e164, toNumber: clinic.patient.phone, automated: true, autoReply, createdAt: server.clock.now() },
      });
    const ack = await queued('confirmed', 'Thanks, you are confirmed.');
    const help = await queued('help', 'SMS Clinic: appointment texts. Reply STOP to opt out.');
    await server.app.get(SendWorker).drain();
    expect(await messageReaches(server, ack.id, ['canceled'])).toMatchObject({ errorMessage: expect.stringContaining('opted out') });
    // HELP goes to the carrier (which answers the opted-out phone itself here: 21610), not canceled by us.
    expect(await messageReaches(server, help.id, ['sent', 'delivered', 'failed'])).toMatchObject({ errorMessage: 'Recipient opted out (replied STOP)' });
  });

  it('HELP text and confirmation words are the organization\'s own', async () => {
    const clinic = await smsClinic(server, nextPhone(), 'Replies Clinic');
    const bad = await errorOf(clinic.owner.api.orgs.updateReplies.mutate({ helpReply: null, contactPhone: null, confirmKeywords: ['SI', 'STOP'], declineKeywords: ['NO'] }));
    expect(bad.message).toContain('STOP is kept for opt-out and help');
    expect((await errorOf(clinic.member.api.orgs.updateReplies.mutate({ helpReply: null, contactPhone: null, confirmKeywords: ['SI'], declineKeywords: ['NO'] }))).code).toBe('FORBIDDEN');
    await clinic.owner.api.orgs.updateReplies.mutate({ helpReply: 'Replies Clinic: call (415) 555-0100, Mon-Fri 8-5. Reply STOP to opt out.', contactPhone: '(415) 555-0100', confirmKeywords: ['si', 'C'], declineKeywords: ['NO'] });
    // The composers show (and count) the request text built from these words.
    expect((await clinic.member.api.orgs.current.query()).confirmationWords).toEqual({ confirm: ['SI', 'C'], decline: ['NO'] });
    expect((await clinic.member.api.conversations.availability.query({ teamId: clinic.team.id, patientIds: [clinic.patient.id] })).confirmationWords).toEqual({ confirm: ['SI', 'C'], decline: ['NO'] });
    const ask = await send(clinic, 'Cita mañana 9:30. Responda SI para confirmar.', { requestsConfirmation: true });
    await messageReaches(server, ask.messageId, ['delivered']);
    await server.simulator!.simulateInbound({ from: clinic.patient.phone!, to: clinic.number.e164, body: 'Sí' });
    let view = await clinic.member.api.conversations.get.query({ conversationId: clinic.conversationId });
    expect(view.messages.find((m) => m.id === ask.messageId)!.confirmation).toBeNull(); // "Sí" is not "SI"
    await server.simulator!.simulateInbound({ from: clinic.patient.phone!, to: clinic.number.e164, body: 'si' });
    view = await clinic.member.api.conversations.get.query({ conversationId: clinic.conversationId });
    expect(view.messages.find((m) => m.id === ask.messageId)!.confirmation).toBe('confirmed');
    await server.simulator!.simulateInbound({ from: clinic.patient.phone!, to: clinic.number.e164, body: 'INFO' });
    const reply = await waitFor(async () => {
      await server.app.get(SendWorker).drain();
      return server.db.prisma.message.findFirst({ where: { conversationId: clinic.conversationId, autoReply: 'help' } });
    });
    expect(reply.body).toBe('Replies Clinic: call (415) 555-0100, Mon-Fri 8-5. Reply STOP to opt out.');
  });

  it('a text from an unknown phone starts a conversation with a new patient flagged as from inbound SMS', async () => {
    const clinic = await smsClinic(server, nextPhone());
    const stranger = nextPhone();
    await server.simulator!.simulateInbound({ from: stranger, to: clinic.number.e164, body: 'Hi, is this the clinic?' });
    const { conversations } = await clinic.member.api.conversations.list.query({});
    const fromStranger = conversations.find((c) => c.patient?.phone === stranger)!;
    expect(fromStranger).toMatchObject({ unreadCount: 1, lastMessagePreview: 'Hi, is this the clinic?', patient: { source: 'inbound_sms' } });
    // Reading is side-effect free (but audited); opening the thread in the app marks it read.
    await clinic.member.api.conversations.get.query({ conversationId: fromStranger.id });
    expect((await clinic.member.api.conversations.list.query({})).conversations.find((c) => c.id === fromStranger.id)!.unreadCount).toBe(1);
    await clinic.member.api.conversations.markRead.mutate({ conversationId: fromStranger.id });
    expect((await clinic.member.api.conversations.list.query({})).conversations.find((c) => c.id === fromStranger.id)!.unreadCount).toBe(0);
  });

  it('replies arrive live on the inbox subscription, carrying the message and the new unread count', async () => {
    const clinic = await smsClinic(server, nextPhone());
    const event = await new Promise<unknown>((resolve) => {
      const sub = clinic.member.api.conversations.events.subscribe(
        {},
        {
          onStarted: () => void server.simulator!.simulateInbound({ from: clinic.patient.phone!, to: clinic.number.e164, body: 'On my way' }),
          onData: (e) => {
            sub.unsubscribe();
            resolve(e);
          },
        },
      );
    });
    expect(event).toMatchObject({
      type: 'message.created',
      conversationId: clinic.conversationId,
      patientId: clinic.patient.id,
      message: { body: 'On my way', direction: 'inbound', status: 'received', sender: null },
      conversation: { lastMessagePreview: 'On my way', unreadCount: 1 },
    });
  });

  it('a send and its delivery reach an open inbox as changes: the message once with its sender, then its statuses forward', async () => {
    const clinic = await smsClinic(server, nextPhone());
    const seen: { type: string; message?: { id: string; status: string; body?: string; sender?: string | null } }[] = [];
    const delivered = new Promise<void>((resolve) => {
      const sub = clinic.owner.api.conversations.events.subscribe(
        {},
        {
          onStarted: () => void send(clinic, 'See you at 3'),
          onData: (e) => {
            if (e.type === 'access.revoked') return;
            seen.push(e as (typeof seen)[number]);
            if ('message' in e && e.message.status === 'delivered') {
              sub.unsubscribe();
              resolve();
            }
          },
        },
      );
    });
    // The owner is on the team (smsClinic); the member sent it.
    await delivered;
    const memberName = (await clinic.member.api.auth.me.query())!.user.name;
    expect(seen[0]).toMatchObject({ type: 'message.created', message: { body: 'See you at 3', status: 'queued', sender: memberName } });
    expect(seen.filter((e) => e.type === 'message.created')).toHaveLength(1);
    const updates = seen.filter((e) => e.type === 'message.updated');
    expect(updates.every((e) => e.message!.id === seen[0]!.message!.id && !('body' in e.message!))).toBe(true);
    expect(updates.map((e) => e.message!.status).at(-1)).toBe('delivered');
  });
});

describe('webhooks', () => {
  const statusUrl = () => `${server.url}/webhooks/twilio/status`;

  it('a forged signature gets 403 and changes nothing', async () => {
    const clinic = await smsClinic(server, nextPhone());
    const sent = await send(clinic, 'Genuine');
    const message = await messageReaches(server, sent.messageId, ['delivered']);
    const params = { MessageSid: message.carrierSid!, MessageStatus: 'failed', ErrorCode: '30008' };
    const forged = await fetch(statusUrl(), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilio.getExpectedTwilioSignature('wrong-token-000000000000', statusUrl(), params) },
      body: new URLSearchParams(params),
    });
    expect(forged.status).toBe(403);
    const unsigned = await fetch(statusUrl(), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(params) });
    expect(unsigned.status).toBe(403);
    expect((await server.db.prisma.message.findUniqueOrThrow({ where: { id: message.id } })).status).toBe('delivered');
    expect(await server.db.prisma.carrierEvent.count({ where: { messageSid: message.carrierSid!, status: 'failed' } })).toBe(0);
  });

  it('duplicate and out-of-order callbacks never move a status backwards', async () => {
    const clinic = await smsClinic(server, nextPhone());
    const sent = await send(clinic, 'Order matters');
    const message = await messageReaches(server, sent.messageId, ['delivered']);
    await server.simulator!.sendStatusCallback(message.carrierSid!, 'sent');
    await server.simulator!.sendStatusCallback(message.carrierSid!, 'delivered');
    await server.simulator!.sendStatusCallback(message.carrierSid!, 'sending');
    await server.simulator!.settle();
    const after = await server.db.prisma.message.findUniqueOrThrow({ where: { id: message.id } });
    expect(after).toMatchObject({ status: 'delivered', statusRank: 3 });
    expect(after.deliveredAt).toEqual(message.deliveredAt);
    const events = await server.db.prisma.carrierEvent.findMany({ where: { messageSid: message.carrierSid! } });
    expect(events.map((e) => e.status).sort()).toEqual(['delivered', 'sending', 'sent']);
  });

  it('callbacks that beat the send response are applied once the carrier id is stored, forward only and once', async () => {
    const clinic = await smsClinic(server, nextPhone());
    const sent = await send(clinic, 'Early callbacks');
    const message = await messageReaches(server, sent.messageId, ['delivered']);
    const sid = message.carrierSid!;
    // As if the callbacks (already stored) had arrived before the sender stored the carrier's id.
    await server.db.prisma.message.update({ where: { id: message.id }, data: { carrierSid: null, status: 'sending', statusRank: 1, sentAt: null, deliveredAt: null } });
    await server.simulator!.sendStatusCallback(sid, 'sending');
    await server.simulator!.settle();
    expect(await server.db.prisma.message.findUniqueOrThrow({ where: { id: message.id } })).toMatchObject({ status: 'sending', deliveredAt: null });

    await server.db.prisma.message.update({ where: { id: message.id }, data: { carrierSid: sid } });
    const status = server.app.get(StatusService);
    await status.applyStored(sid);
    const applied = await server.db.prisma.message.findUniqueOrThrow({ where: { id: message.id } });
    expect(applied).toMatchObject({ status: 'delivered', statusRank: 3 });
    expect(applied.sentAt).not.toBeNull();
    expect(applied.deliveredAt).not.toBeNull();

    server.clock.advance(60_000);
    await status.applyStored(sid);
    expect(await server.db.prisma.message.findUniqueOrThrow({ where: { id: message.id } })).toMatchObject({ status: 'delivered', deliveredAt: applied.deliveredAt });
  });
});

describe('team rules', () => {
  it('only the number team may read or send; a removed member loses the conversation and the live subscription at once', async () => {
    const clinic = await smsClinic(server, nextPhone());
    const outsider = clinic.admin; // an admin, but not on Front Desk
    expect((await errorOf(outsider.api.conversations.get.query({ conversationId: clinic.conversationId }))).code).toBe('FORBIDDEN');
    expect((await errorOf(outsider.api.conversations.send.mutate({ conversationId: clinic.conversationId, body: 'Hi' }))).code).toBe('FORBIDDEN');
    expect((await outsider.api.conversations.list.query({})).conversations).toEqual([]);

    const memberId = (await clinic.member.api.auth.me.query())!.user.id;
    const ended = new Promise<string[]>((resolve) => {
      const seen: string[] = [];
      const sub = clinic.member.api.conversations.events.subscribe(
        { teamId: clinic.team.id },
        {
          onStarted: () => void clinic.owner.api.teams.removeMember.mutate({ teamId: clinic.team.id, userId: memberId }),
          onData: (e) => {
            seen.push(e.type);
            if (e.type === 'access.revoked') {
              sub.unsubscribe();
              resolve(seen);
            }
          },
        },
      );
    });
    expect(await ended).toEqual(['access.revoked']);
    expect((await errorOf(clinic.member.api.conversations.get.query({ conversationId: clinic.conversationId }))).code).toBe('FORBIDDEN');
    expect((await errorOf(send(clinic, 'Still here?'))).code).toBe('FORBIDDEN');
  });

  it('SMS is offered only for exactly one patient and a team with a number, Secure Chat for one patient on any team of the caller', async () => {
    const clinic = await smsClinic(server, nextPhone());
    const other = await clinic.member.api.patients.create.mutate({ firstName: 'Bo', phone: nextPhone() });
    const one = await clinic.member.api.conversations.availability.query({ teamId: clinic.team.id, patientIds: [clinic.patient.id] });
    expect(one.sms).toEqual({ available: true, reason: null, blockedBy: null });
    expect(one.secure).toEqual({ available: true, reason: null });
    const two = await clinic.member.api.conversations.availability.query({ teamId: clinic.team.id, patientIds: [clinic.patient.id, other.id] });
    expect(two.sms.reason).toBe('SMS goes to one patient at a time: select exactly one patient.');
    expect(two.secure).toEqual({ available: false, reason: 'Secure Chat goes to one patient at a time: select exactly one patient.' });
    const bare = await clinic.owner.api.teams.create.mutate({ name: 'No Number Team' });
    await clinic.owner.api.teams.addMember.mutate({ teamId: bare.id, userId: (await clinic.member.api.auth.me.query())!.user.id });
    const noNumber = await clinic.member.api.conversations.availability.query({ teamId: bare.id, patientIds: [clinic.patient.id] });
    expect(noNumber.sms.reason).toContain('has no phone number');
    expect(noNumber.sms.blockedBy).toBe('no_number');
    // No number is needed for Secure Chat (the link goes by email when it cannot go by SMS).
    expect(noNumber.secure).toEqual({ available: true, reason: null });
    // Not on the team: neither channel, nothing said about the patient.
    expect((await errorOf(clinic.owner.api.conversations.availability.query({ teamId: bare.id, patientIds: [clinic.patient.id] }))).code).toMatch(/FORBIDDEN|NOT_FOUND/);
    expect((await errorOf(clinic.member.api.conversations.startSms.mutate({ teamId: bare.id, patientId: clinic.patient.id }))).message).toContain('has no phone number');
  });

  it('startSecure opens the team\'s one thread with the patient (its SMS conversation where it has a number, else a secure one), sending nothing', async () => {
    const clinic = await smsClinic(server, nextPhone(), 'Start Secure Clinic');
    const before = await server.db.prisma.message.count({ where: { orgId: clinic.org.id } });
    const withNumber = await clinic.member.api.conversations.startSecure.mutate({ teamId: clinic.team.id, patientId: clinic.patient.id });
    expect(withNumber.conversationId).toBe(clinic.conversationId);
    const bare = await clinic.owner.api.teams.create.mutate({ name: 'Billing' });
    await clinic.owner.api.teams.addMember.mutate({ teamId: bare.id, userId: (await clinic.member.api.auth.me.query())!.user.id });
    const opened = await clinic.member.api.conversations.startSecure.mutate({ teamId: bare.id, patientId: clinic.patient.id });
    expect(await server.db.prisma.conversation.findUniqueOrThrow({ where: { id: opened.conversationId } })).toMatchObject({ kind: 'secure', teamId: bare.id, patientId: clinic.patient.id, phoneNumberId: null });
    // Again (a double click): the same conversation; and the first secure send goes there.
    expect((await clinic.member.api.conversations.startSecure.mutate({ teamId: bare.id, patientId: clinic.patient.id })).conversationId).toBe(opened.conversationId);
    const sent = await clinic.member.api.conversations.send.mutate({ conversationId: opened.conversationId, body: 'Your statement is ready.', channel: 'secure' });
    expect(sent.conversationId).toBe(opened.conversationId);
    expect(await server.db.prisma.message.count({ where: { orgId: clinic.org.id } })).toBe(before + 1);
    // Another org's patient is not found; not on the team: refused.
    const elsewhere = await signUp(server, 'Elsewhere Owner');
    await elsewhere.api.orgs.create.mutate({ name: 'Elsewhere Clinic' });
    const theirs = await elsewhere.api.patients.create.mutate({ firstName: 'Zed', dob: '1990-01-01', phone: nextPhone() });
    expect((await errorOf(clinic.member.api.conversations.startSecure.mutate({ teamId: bare.id, patientId: theirs.id }))).code).toBe('NOT_FOUND');
    expect((await errorOf(clinic.owner.api.conversations.startSecure.mutate({ teamId: bare.id, patientId: clinic.patient.id }))).code).toMatch(/FORBIDDEN|NOT_FOUND/);
  });
});

describe('phone log export', () => {
  it('streams exactly the documented columns, in the org time zone, spreadsheet-safe', async () => {
    const clinic = await smsClinic(server, nextPhone(), 'Log Clinic');
    await clinic.owner.api.orgs.update.mutate({ name: 'Log Clinic', timeZone: 'America/Los_Angeles' });
    await clinic.member.api.patients.update.mutate({ patientId: clinic.patient.id, firstName: '=HYPERLINK("x")', lastName: 'Patel' });
    const delivered = await send(clinic, 'Reminder one');
    await messageReaches(server, delivered.messageId, ['delivered']);
    const landline = await clinic.member.api.patients.create.mutate({ firstName: 'John', lastName: 'Smith', phone: nextPhone('0006'), phoneLineType: 'mobile' });
    const { conversationId } = await clinic.member.api.conversations.startSms.mutate({ teamId: clinic.team.id, patientId: landline.id });
    const failed = await clinic.member.api.conversations.send.mutate({ conversationId, body: 'Reminder two' });
    await messageReaches(server, failed.messageId, ['undelivered']);
    const sentAt = (id: string) => server.db.prisma.message.findUniqueOrThrow({ where: { id } }).then((m) => m.sentAt!);

    const csv = async (who: { token: string }, query = '') => fetch(`${server.url}/api/numbers/${clinic.number.id}/phone-log.csv${query}`, { headers: { authorization: `Bearer ${who.token}` } });
    expect((await csv(clinic.member)).status).toBe(200); // the member is on the number's team
    const res = await csv(clinic.owner);
    expect(res.headers.get('content-type')).toContain('text/csv');
    const lines = (await res.text()).replace(/^\ufeff/, '').trim().split('\r\n');
    const stamp = (d: Date) => new Intl.DateTimeFormat('sv-SE', { timeZone: 'America/Los_Angeles', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).format(d);
    expect(lines).toEqual([
      'Sent,From,To,First,Last,Dob,Email,Status,ErrorCode,ErrorMessage',
      `${stamp(await sentAt(delivered.messageId))} PDT,${clinic.number.e164},${clinic.patient.phone},"'=HYPERLINK(""x"")",Patel,1985-03-14,amina@example.com,Delivered,,`,
      `${stamp(await sentAt(failed.messageId))} PDT,${clinic.number.e164},${landline.phone},John,Smith,,,Error,30006,Landline — cannot receive SMS`,
    ]);
    const empty = await (await csv(clinic.owner, '?from=2020-01-01&to=2020-01-31')).text();
    expect(empty.replace(/^\ufeff/, '').trim()).toBe('Sent,From,To,First,Last,Dob,Email,Status,ErrorCode,ErrorMessage');
    expect((await csv(clinic.owner, '?from=2026-13-01')).status).toBe(400);
    expect((await clinic.owner.api.audit.list.query({ action: 'phonelog.exported' })).events.length).toBeGreaterThan(0);
  });
});

describe('moving a number and reading threads', () => {
  it("a number moved to another team takes its conversations along; re-reading a thread is audited once", async () => {
    const clinic = await smsClinic(server, nextPhone());
    await clinic.member.api.conversations.get.query({ conversationId: clinic.conversationId });
    await clinic.member.api.conversations.get.query({ conversationId: clinic.conversationId });
    const views = await clinic.owner.api.audit.list.query({ action: 'conversation.viewed' });
    expect(views.events.filter((e) => e.targetId === clinic.conversationId)).toHaveLength(1);

    const nursing = await clinic.owner.api.teams.create.mutate({ name: 'Nursing' });
    await clinic.owner.api.teams.addMember.mutate({ teamId: nursing.id, userId: (await clinic.admin.api.auth.me.query())!.user.id });
    await clinic.owner.api.numbers.update.mutate({ numberId: clinic.number.id, teamId: nursing.id });
    expect((await clinic.admin.api.conversations.get.query({ conversationId: clinic.conversationId })).team.name).toBe('Nursing');
    expect((await errorOf(clinic.member.api.conversations.get.query({ conversationId: clinic.conversationId }))).code).toBe('FORBIDDEN');
  });
});

describe('phone numbers', () => {
  it('need the SMS plan and an admin; a port-in request is recorded and mailed to support', async () => {
    const clinic = await smsClinic(server, nextPhone());
    expect((await errorOf(clinic.member.api.numbers.search.query({ areaCode: '212' }))).code).toBe('FORBIDDEN');
    const found = await clinic.owner.api.numbers.search.query({ areaCode: '212' });
    expect(found[0]).toMatchObject({ locality: 'New York', region: 'NY' });
    const port = await clinic.owner.api.numbers.requestPort.mutate({ phoneNumber: '(312) 555-0142', currentCarrier: 'Acme Telecom', authorizedName: 'Dana Reyes', authorizedEmail: 'dana@clinic.example' });
    expect(port.status).toBe('submitted');
    const mail = await waitFor(() => server.db.prisma.devMail.findFirst({ where: { subject: { contains: 'Port-in request: (312) 555-0142' } } }));
    expect(mail.text).toContain('Acme Telecom');
    await clinic.owner.api.numbers.update.mutate({ numberId: clinic.number.id, messagesPerSecond: 5 });
    expect((await clinic.member.api.numbers.list.query())[0]).toMatchObject({ messagesPerSecond: 5, team: { name: 'Front Desk' }, isMine: true });
  });
});

describe('the Twilio contract', () => {
  // Runs last (tests run in file order): every request and response the simulator handled in
  // this file — sends, lookups, number purchases, errors — matched Twilio's OpenAPI spec.
  it('all simulator traffic of this suite matched the spec', () => {
    expect(server.spec.violations).toEqual([]);
    expect([...server.spec.seen].sort()).toEqual(expect.arrayContaining(['CreateMessage', 'CreateIncomingPhoneNumber', 'FetchPhoneNumber', 'ListAvailablePhoneNumberLocal']));
  });
});
