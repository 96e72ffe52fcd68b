import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CARRIER, type Carrier, CarrierError } from '../src/carriers/carrier.js';
import { SendWorker } from '../src/messages/send-worker.js';
import { messageReaches, smsClinic, startTestServer, type TestServer, waitFor } from './harness.js';

/**
 * The carrier refusing a send outright: "too many requests" (429) is retried with backoff, never
 * sent twice; a permanent refusal (4xx with a code) fails at once with the code and its message.
 * The refusals come from the carrier's client, wrapped to refuse the next calls (the simulator
 * itself does not rate-limit); everything else is the real path to the simulator.
 */
let server: TestServer;
let carrier: Carrier;
let worker: SendWorker;
let refusals: CarrierError[] = [];
beforeAll(async () => {
  server = await startTestServer();
  carrier = server.app.get<Carrier>(CARRIER);
  worker = server.app.get(SendWorker);
  const send = carrier.sendMessage.bind(carrier);
  carrier.sendMessage = async (input) => {
    const refusal = refusals.shift();
    if (refusal) throw refusal;
    return send(input);
  };
});
afterAll(async () => {
  await server?.stop();
});

const tooMany = () => new CarrierError('Too Many Requests', 20429, 429);
const received = (to: string, body: string) => server.simulator!.messages().filter((m) => m.to === to && m.body === body);

describe('carrier refusals', () => {
  it('a 429 is queued again with backoff and sent once when the carrier takes it', async () => {
    const clinic = await smsClinic(server, '+14155556801', 'Busy Carrier Clinic');
    refusals = [tooMany(), tooMany()];
    const body = 'Your appointment is at 9.';
    const { messageId } = await clinic.member.api.conversations.send.mutate({ conversationId: clinic.conversationId, body });
    // The worker (running in the background) took it, the carrier said 429: back in the queue, for later.
    const first = await queuedAfter(messageId, 1);
    expect(first.carrierSid).toBeNull();
    expect(first.sendAfter!.getTime()).toBeGreaterThan(server.clock.now().getTime());
    // Not before its time: another round leaves it where it is.
    await worker.drain();
    expect(await row(messageId)).toMatchObject({ status: 'queued', attempts: 1 });
    // Its time comes: 429 once more, then the carrier takes it.
    server.clock.advance(60_000);
    worker.wake();
    await queuedAfter(messageId, 2);
    server.clock.advance(60_000);
    worker.wake();
    expect(await messageReaches(server, messageId, ['delivered'])).toMatchObject({ attempts: 3, errorCode: null });
    expect(received(clinic.patient.phone!, body)).toHaveLength(1);
  });

  it('429 on every attempt ends as failed with the code; a permanent refusal fails at once', async () => {
    const clinic = await smsClinic(server, '+14155556802', 'Refusing Carrier Clinic');
    refusals = Array.from({ length: 5 }, tooMany);
    const { messageId } = await clinic.member.api.conversations.send.mutate({ conversationId: clinic.conversationId, body: 'Lab visit at 8.' });
    for (let attempt = 1; attempt < 5; attempt++) {
      await queuedAfter(messageId, attempt);
      server.clock.advance(120_000);
      worker.wake();
    }
    expect(await messageReaches(server, messageId, ['failed'])).toMatchObject({ errorCode: '20429', attempts: 5 });

    refusals = [new CarrierError("The 'To' number is not a valid phone number.", 21211, 400)];
    const second = await clinic.member.api.conversations.send.mutate({ conversationId: clinic.conversationId, body: 'Second try.' });
    expect(await messageReaches(server, second.messageId, ['failed'])).toMatchObject({ errorCode: '21211', attempts: 1 });
    expect(received(clinic.patient.phone!, 'Lab visit at 8.')).toHaveLength(0);
    expect(received(clinic.patient.phone!, 'Second try.')).toHaveLength(0);
  });
});

const row = (id: string) => server.db.prisma.message.findUniqueOrThrow({ where: { id } });

/** Waits until the message is back in the queue after its `attempts`-th try. */
function queuedAfter(id: string, attempts: number) {
  return waitFor(async () => {
    const m = await row(id);
    return m.status === 'queued' && m.attempts === attempts ? m : null;
  });
}
