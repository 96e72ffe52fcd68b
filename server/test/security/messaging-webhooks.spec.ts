import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CARRIER } from '../../src/carriers/carrier.js';
import { type StatusCallback, StatusService } from '../../src/messages/status.service.js';
import { smsClinic, startTestServer, type TestServer } from '../harness.js';
import { reaches } from './messaging-helpers.js';

/**
 * Issue 9: the inbound webhook's signature (a forged STOP changes nothing) and item 13's
 * messaging part (control characters in carrier webhooks; one bad status callback never fails
 * its group-committed batch).
 */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});

let phoneCounter = 7500;
const nextPhone = () => `+1415555${String(phoneCounter++).padStart(4, '0')}`;
const inboundUrl = () => `${server.url}/webhooks/twilio/inbound`;
const statusUrl = () => `${server.url}/webhooks/twilio/status`;

/** The simulated account's auth token, to sign webhooks the simulator itself would not send. */
const authToken = () => (server.app.get(CARRIER) as unknown as { authToken: string }).authToken;

function post(url: string, params: Record<string, string>, signature: string | null) {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(signature === null ? {} : { 'x-twilio-signature': signature }) },
    body: new URLSearchParams(params),
  });
}

describe('the inbound webhook checks the signature', () => {
  it('a forged or unsigned "STOP" gets 403 and changes nothing', async () => {
    const clinic = await smsClinic(server, nextPhone(), 'Forged Clinic');
    const params = { MessageSid: `SM${'f'.repeat(32)}`, AccountSid: `AC${'0'.repeat(32)}`, From: clinic.patient.phone!, To: clinic.number.e164, Body: 'STOP', NumMedia: '0' };
    const before = { messages: await server.db.prisma.message.count(), events: await server.db.prisma.carrierEvent.count(), patients: await server.db.prisma.patient.count() };

    const forged = await post(inboundUrl(), params, twilio.getExpectedTwilioSignature('wrong-token-000000000000', inboundUrl(), params));
    expect(forged.status).toBe(403);
    expect((await post(inboundUrl(), params, null)).status).toBe(403);
    // Signed with the right token, but for another URL (a replayed status callback's signature).
    expect((await post(inboundUrl(), params, twilio.getExpectedTwilioSignature(authToken(), statusUrl(), params))).status).toBe(403);
    // Signed, then altered: the body the attacker wants is not the body that was signed.
    const signedHello = twilio.getExpectedTwilioSignature(authToken(), inboundUrl(), { ...params, Body: 'Hello' });
    expect((await post(inboundUrl(), params, signedHello)).status).toBe(403);

    expect(await server.db.prisma.smsOptOut.count({ where: { phone: clinic.patient.phone! } })).toBe(0);
    expect(await server.db.prisma.consentEvent.count({ where: { patientId: clinic.patient.id } })).toBe(0);
    expect(await server.db.prisma.message.count()).toBe(before.messages);
    expect(await server.db.prisma.carrierEvent.count()).toBe(before.events);
    expect(await server.db.prisma.patient.count()).toBe(before.patients);
    const offered = await clinic.member.api.conversations.availability.query({ teamId: clinic.team.id, patientIds: [clinic.patient.id] });
    expect(offered.sms.available).toBe(true);

    // The same STOP, properly signed, is honoured: the 403s were the signature, nothing else.
    expect((await post(inboundUrl(), params, twilio.getExpectedTwilioSignature(authToken(), inboundUrl(), params))).status).toBe(200);
    expect(await server.db.prisma.smsOptOut.count({ where: { phone: clinic.patient.phone! } })).toBe(1);
  });
});

describe('control characters in carrier webhooks (item 13)', () => {
  it('an inbound SMS with NUL and other control characters is answered normally and stored without them', async () => {
    const clinic = await smsClinic(server, nextPhone(), 'Control Clinic');
    const result = await server.simulator!.simulateInbound({
      from: clinic.patient.phone!,
      to: clinic.number.e164,
      body: 'Run\u0000ning\u0007 late\r\nsee you\tsoon\u001b[31m\u009b\u007f!',
      mediaUrls: ['https://media.example.com/photo\u0000.jpg'],
    });
    expect(result.webhook?.status).toBe(200);
    const message = await server.db.prisma.message.findFirstOrThrow({ where: { carrierSid: result.sid } });
    expect(message.body).toBe('Running late\r\nsee you\tsoon[31m!');
    expect(message.mediaUrls).toEqual(['https://media.example.com/photo.jpg']);
    const event = await server.db.prisma.carrierEvent.findFirstOrThrow({ where: { messageSid: result.sid, kind: 'inbound' } });
    expect(JSON.stringify(event.payload)).not.toMatch(/\\u0000|\\u0007/);
    const view = await clinic.member.api.conversations.get.query({ conversationId: clinic.conversationId });
    expect(view.messages.at(-1)).toMatchObject({ direction: 'inbound', body: 'Running late\r\nsee you\tsoon[31m!' });
  });

  it('control characters in any inbound parameter, even a name, never make a 500', async () => {
    const clinic = await smsClinic(server, nextPhone(), 'Params Clinic');
    const params = { MessageSid: `SM${'c'.repeat(32)}`, From: clinic.patient.phone!, To: clinic.number.e164, Body: 'Hello\u0000', FromCity: 'SAN\u0000FRANCISCO', 'X\u0000Odd': '\u0001', NumMedia: '0' };
    const res = await post(inboundUrl(), params, twilio.getExpectedTwilioSignature(authToken(), inboundUrl(), params));
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<Response></Response>');
    const event = await server.db.prisma.carrierEvent.findFirstOrThrow({ where: { messageSid: params.MessageSid } });
    expect(event.payload).toMatchObject({ FromCity: 'SANFRANCISCO', XOdd: '', Body: 'Hello' });
    expect((await server.db.prisma.message.findFirstOrThrow({ where: { carrierSid: params.MessageSid } })).body).toBe('Hello');
  });

  it('a signed status callback with a NUL in it is stored and applied, not answered 500', async () => {
    const clinic = await smsClinic(server, nextPhone(), 'Status NUL');
    const sent = await clinic.member.api.conversations.send.mutate({ conversationId: clinic.conversationId, body: 'Status with NUL' });
    const message = await reaches(server, sent.messageId, ['delivered']);
    const params = { MessageSid: message.carrierSid!, MessageStatus: 'read', ChannelPrefix: 'sms\u0000', AccountSid: `AC${'0'.repeat(32)}` };
    const res = await post(statusUrl(), params, twilio.getExpectedTwilioSignature(authToken(), statusUrl(), params));
    expect(res.status).toBe(204);
    expect((await server.db.prisma.message.findUniqueOrThrow({ where: { id: message.id } })).status).toBe('read');
  });
});

describe('status callbacks are group-committed without one spoiling the rest (item 13)', () => {
  it('a callback the database refuses fails alone; the others in its batch are applied and durable', async () => {
    const clinic = await smsClinic(server, nextPhone(), 'Batch Clinic');
    const delivered = [];
    for (const body of ['Batch one', 'Batch two', 'Batch three']) {
      const sent = await clinic.member.api.conversations.send.mutate({ conversationId: clinic.conversationId, body });
      delivered.push(await reaches(server, sent.messageId, ['delivered']));
    }
    const [one, two, three] = delivered.map((m) => m.carrierSid!);
    const status = server.app.get(StatusService);
    // Called together, they are committed as one group. The middle one carries a NUL that
    // jsonb cannot store (the webhook would have removed it; here it reaches the service as is).
    const callbacks: StatusCallback[] = [
      { MessageSid: one!, MessageStatus: 'read' },
      { MessageSid: two!, MessageStatus: 'read', Junk: 'bad\u0000value' },
      { MessageSid: three!, MessageStatus: 'read' },
    ];
    const results = await Promise.allSettled(callbacks.map((c) => status.receive(c)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : 'error'))).toEqual(['stored', 'error', 'stored']);

    const after = await server.db.prisma.message.findMany({ where: { carrierSid: { in: [one!, two!, three!] } } });
    const statusOf = (sid: string) => after.find((m) => m.carrierSid === sid)!.status;
    expect([statusOf(one!), statusOf(two!), statusOf(three!)]).toEqual(['read', 'delivered', 'read']);
    expect(await server.db.prisma.carrierEvent.count({ where: { messageSid: { in: [one!, three!] }, status: 'read' } })).toBe(2);
    expect(await server.db.prisma.carrierEvent.count({ where: { messageSid: two!, status: 'read' } })).toBe(0);

    // The carrier retries the failed one, clean this time: applied.
    expect(await status.receive({ MessageSid: two!, MessageStatus: 'read' })).toBe('stored');
    expect((await server.db.prisma.message.findUniqueOrThrow({ where: { id: delivered[1]!.id } })).status).toBe('read');
  });
});
