import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CARRIER, type Carrier } from '../src/carriers/carrier.js';
import { WEBHOOK_PATHS } from '../src/numbers/numbers.service.js';
import { CLAIM_TTL_MS, SendWorker, SETTLE_AFTER_MS } from '../src/messages/send-worker.js';
import { messageReaches, smsClinic, startTestServer, type TestServer } from './harness.js';
import { PORTAL_LINK_NOTICE, PORTAL_TOKEN_PLACEHOLDER, withPortalToken } from '../src/portal/portal-link-text.js';

/**
 * Sends interrupted between the claim and the stored carrier id (an instance killed with SIGKILL,
 * an answer lost on the way back), and sends whose callbacks never came: each is looked up at the
 * carrier (the simulator, through the Twilio SDK) and settled, and resent only if the carrier
 * never saw it.
 */
let server: TestServer;
let carrier: Carrier;
let worker: SendWorker;
beforeAll(async () => {
  server = await startTestServer();
  carrier = server.app.get<Carrier>(CARRIER);
  worker = server.app.get(SendWorker);
});
afterAll(async () => {
  await server?.stop();
});

let phoneCounter = 5000;
const nextPhone = () => `+1415555${String(phoneCounter++).padStart(4, '0')}`;

/** A message as a worker left it when it was killed after claiming it: `sending`, no carrier id. */
async function claimedByDeadWorker(clinic: Awaited<ReturnType<typeof smsClinic>>, body: string) {
  const now = server.clock.now();
  return server.db.prisma.message.create({
    data: {
      orgId: clinic.org.id, conversationId: clinic.conversationId, direction: 'outbound', channel: 'sms', body,
      status: 'sending', statusRank: 1, fromNumber: clinic.number.e164, toNumber: clinic.patient.phone,
      claimedBy: 'dead-host:1234:0000', claimedAt: now, attempts: 1, createdAt: now,
    },
  });
}

/** What the dead worker's request did at the carrier before its answer was lost. */
function acceptedByCarrier(clinic: Awaited<ReturnType<typeof smsClinic>>, body: string) {
  return carrier.sendMessage({ from: clinic.number.e164, to: clinic.patient.phone!, body, statusCallback: server.url + WEBHOOK_PATHS.status });
}

const atCarrier = (to: string, body: string) => server.simulator!.messages().filter((m) => m.to === to && m.body === body);
const row = (id: string) => server.db.prisma.message.findUniqueOrThrow({ where: { id } });

describe('reconciling sends with the carrier', () => {
  it('a send the carrier accepted but whose answer was lost is settled to the carrier\'s message, not resent', async () => {
    const clinic = await smsClinic(server, nextPhone());
    const body = 'Your appointment is tomorrow at 9:30.';
    const message = await claimedByDeadWorker(clinic, body);
    const accepted = await acceptedByCarrier(clinic, body);
    await server.simulator!.settle();
    // The callbacks came while nobody knew the sid; drop them too, so only the lookup can settle it.
    await server.db.prisma.carrierEvent.deleteMany({ where: { messageSid: accepted.sid } });

    // While the claim holds, nobody touches the message: its worker may still be talking to the carrier.
    expect(await worker.reconcile()).toBe(0);
    expect(await row(message.id)).toMatchObject({ status: 'sending', carrierSid: null, claimedBy: 'dead-host:1234:0000' });

    server.clock.advance(CLAIM_TTL_MS + 1);
    await worker.reconcile();
    await worker.drain();
    expect(await messageReaches(server, message.id, ['delivered'])).toMatchObject({ carrierSid: accepted.sid, attempts: 1 });
    await worker.drain();
    expect(atCarrier(clinic.patient.phone!, body)).toHaveLength(1);
  });

  it("a portal link notice whose answer was lost is recognized at the carrier by its text with the link's token masked, not resent", async () => {
    const clinic = await smsClinic(server, nextPhone());
    const queued = `SMS Clinic: You have a new secure message. Open ${server.url}${PORTAL_TOKEN_PLACEHOLDER}`;
    const message = await claimedByDeadWorker(clinic, queued);
    await server.db.prisma.message.update({ where: { id: message.id }, data: { autoReply: PORTAL_LINK_NOTICE, automated: true } });
    // The dead worker had made the link and sent the text with it; the token is stored nowhere.
    const accepted = await acceptedByCarrier(clinic, withPortalToken(queued, 'k'.repeat(43)));
    await server.simulator!.settle();
    await server.db.prisma.carrierEvent.deleteMany({ where: { messageSid: accepted.sid } });

    server.clock.advance(CLAIM_TTL_MS + 1);
    await worker.reconcile();
    await worker.drain();
    expect(await messageReaches(server, message.id, ['delivered'])).toMatchObject({ carrierSid: accepted.sid, attempts: 1, body: queued });
    expect(server.simulator!.messages().filter((m) => m.to === clinic.patient.phone)).toHaveLength(1);
  });

  it('two identical lost sends to one patient take one carrier message each; neither is resent', async () => {
    const clinic = await smsClinic(server, nextPhone());
    const body = 'Reminder: bring your insurance card.';
    const first = await claimedByDeadWorker(clinic, body);
    const second = await claimedByDeadWorker(clinic, body);
    const sids = [(await acceptedByCarrier(clinic, body)).sid, (await acceptedByCarrier(clinic, body)).sid];
    server.clock.advance(CLAIM_TTL_MS + 1);
    await worker.reconcile();
    const settled = await Promise.all([first, second].map((m) => messageReaches(server, m.id, ['delivered'])));
    expect(settled.map((m) => m.carrierSid).sort()).toEqual([...sids].sort());
    await worker.drain();
    expect(atCarrier(clinic.patient.phone!, body)).toHaveLength(2);
  });

  it('a send the carrier never got is taken over when its claim expires and sent exactly once', async () => {
    const clinic = await smsClinic(server, nextPhone());
    const body = 'Please call us to reschedule.';
    const message = await claimedByDeadWorker(clinic, body);
    expect(await worker.reconcile()).toBe(0);
    await worker.drain();
    expect(atCarrier(clinic.patient.phone!, body)).toHaveLength(0);

    server.clock.advance(CLAIM_TTL_MS + 1);
    await worker.reconcile();
    await worker.drain();
    const sent = await messageReaches(server, message.id, ['delivered']);
    expect(sent).toMatchObject({ attempts: 2, carrierSid: expect.stringMatching(/^SM/) });
    expect(sent.claimedBy).not.toBe('dead-host:1234:0000');
    // Later rounds (and a later expiry) find it settled: nothing more goes out.
    server.clock.advance(CLAIM_TTL_MS + 1);
    await worker.reconcile();
    await worker.drain();
    expect(atCarrier(clinic.patient.phone!, body)).toHaveLength(1);
  });

  it('a sent message whose final callback never came is fetched from the carrier and settled', async () => {
    const clinic = await smsClinic(server, nextPhone());
    const sent = await clinic.member.api.conversations.send.mutate({ conversationId: clinic.conversationId, body: 'Lab visit at 8.' });
    const delivered = await messageReaches(server, sent.messageId, ['delivered']);
    // As if only "sent" had arrived.
    await server.db.prisma.message.update({ where: { id: sent.messageId }, data: { status: 'sent', statusRank: 2, deliveredAt: null } });
    expect(await worker.reconcile()).toBe(0);
    server.clock.advance(SETTLE_AFTER_MS + 1);
    await worker.reconcile();
    expect(await messageReaches(server, sent.messageId, ['delivered'])).toMatchObject({ carrierSid: delivered.carrierSid });
    expect(atCarrier(clinic.patient.phone!, 'Lab visit at 8.')).toHaveLength(1);
  });

  it('a message that never gets a final status is asked about less and less often as it ages', async () => {
    const clinic = await smsClinic(server, nextPhone());
    const sent = await clinic.member.api.conversations.send.mutate({ conversationId: clinic.conversationId, body: 'Flu shots this week.' });
    await messageReaches(server, sent.messageId, ['delivered']);
    const stuckInSent = () => server.db.prisma.message.update({ where: { id: sent.messageId }, data: { status: 'sent', statusRank: 2, deliveredAt: null } });
    await stuckInSent();
    server.clock.advance(24 * 3600_000); // a day old, never asked about since its send
    await worker.reconcile();
    const looked = await messageReaches(server, sent.messageId, ['delivered']);
    await stuckInSent();
    // Ten minutes later is too soon for a day-old message (a quarter of its age: 6 hours)...
    server.clock.advance(SETTLE_AFTER_MS + 1);
    await worker.reconcile();
    expect(await row(sent.messageId)).toMatchObject({ status: 'sent', claimedAt: looked.claimedAt });
    // ...but once a quarter of its age has passed since the last look (33 hours old: 8.3 hours) it is asked about again.
    server.clock.advance(9 * 3600_000);
    await worker.reconcile();
    expect((await messageReaches(server, sent.messageId, ['delivered'])).claimedAt!.getTime()).toBeGreaterThan(looked.claimedAt!.getTime());
  });
});
