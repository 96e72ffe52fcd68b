import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { TwilioCarrier } from '../../src/carriers/twilio/twilio-carrier.js';
import { SpecValidator } from '../../src/carriers/simulator/spec-validator.js';
import {
  createSimulatorCredentials,
  createTwilioSimulator,
  type SimulatorExchange,
  type TwilioSimulatorOptions,
} from '../../src/carriers/simulator/twilio-simulator.js';
import { immediateScheduler } from '../../src/carriers/simulator/webhooks.js';

export type ReceivedWebhook = { url: string; params: Record<string, string>; signature: string | undefined };

/** Our clinic's numbers and patients, in the simulator's table (README.md beside the simulator). */
export const PATIENT = {
  mobile: '+14155550100',
  landline: '+14155550006',
  unreachable: '+14155550003',
  unknown: '+14155550005',
  filtered: '+14155550007',
  fixedVoip: '+14155550010',
  nonFixedVoip: '+14155550011',
  invalid: '+14155550211',
};

/**
 * The simulator served on a loopback port (mounted under /twilio, as an app would), a webhook
 * receiver standing in for CareText, and a TwilioCarrier whose SDK talks to the simulator.
 */
export async function startCarrierFixture(overrides: Partial<TwilioSimulatorOptions> = {}) {
  const credentials = createSimulatorCredentials();
  const validator = new SpecValidator();
  const exchanges: SimulatorExchange[] = [];
  const received = { status: [] as ReceivedWebhook[], inbound: [] as ReceivedWebhook[] };
  /** Answers for the next webhooks (then 200): e.g. [500] makes the first attempt fail. */
  const failNext: number[] = [];
  let base = '';

  const simulator = createTwilioSimulator({
    ...credentials,
    scheduler: immediateScheduler,
    delays: { retryMs: [0, 0] },
    observer: {
      check(exchange) {
        exchanges.push(exchange);
        return validator.check(exchange);
      },
    },
    log: () => {},
    ...overrides,
  });

  const app = express();
  app.use('/twilio', simulator.router);
  app.use('/hooks', express.urlencoded({ extended: false }));
  for (const kind of ['status', 'inbound'] as const) {
    app.post(`/hooks/${kind}`, (req, res) => {
      const answer = failNext.shift() ?? 200;
      if (answer === 200) received[kind].push({ url: `${base}${req.originalUrl}`, params: req.body as Record<string, string>, signature: req.header('x-twilio-signature') });
      if (kind === 'inbound') res.status(answer).type('text/xml').send('<?xml version="1.0" encoding="UTF-8"?><Response></Response>');
      else res.status(answer).end();
    });
  }
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const carrier = new TwilioCarrier({ ...credentials, baseUrl: `${base}/twilio` });
  const hooks = { status: `${base}/hooks/status`, inbound: `${base}/hooks/inbound` };

  return {
    base,
    credentials,
    simulator,
    carrier,
    validator,
    exchanges,
    received,
    failNext,
    hooks,
    /** Buys a number for the clinic with our webhooks set, as the numbers service will. */
    async clinicNumber(areaCode = '415') {
      const [offer] = await carrier.searchAvailableNumbers({ country: 'US', areaCode, limit: 1 });
      return carrier.buyNumber({ phoneNumber: offer!.phoneNumber, smsUrl: hooks.inbound, statusCallback: hooks.status });
    },
    statusesOf(sid: string) {
      return received.status.filter((w) => w.params.MessageSid === sid).map((w) => w.params.MessageStatus);
    },
    async close() {
      simulator.stop();
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

export type CarrierFixture = Awaited<ReturnType<typeof startCarrierFixture>>;

/** The error a promise rejects with (fails the test when it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail, but it succeeded');
}
