/**
 * A Twilio-compatible server for the paths CareText uses, so the real Twilio SDK (TwilioCarrier
 * with `baseUrl`) runs unchanged in `pnpm start` and in tests. Mount `router` anywhere and give
 * the carrier `baseUrl` = origin + mount path; `POST <mount>/__simulator/inbound` is the demo
 * mode's "reply as the patient". Behaviour per destination number: README.md beside this file.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import { type Clock, systemClock } from '../../clock.js';
import type { SimulatedMessage, SimulatedNumber, MessageStatus } from './resources.js';
import { errorJson } from './resources.js';
import { type InboundInput, type InboundResult, notFound, SimulatedTwilio, SimulatorInputError, TwilioApiError } from './simulated-twilio.js';
import { DeferredWork, type Scheduler, timerScheduler, type WebhookDelivery, WebhookSender } from './webhooks.js';

/** One request the simulator answered, as the spec validator sees it. */
export type SimulatorExchange = {
  method: string;
  /** Relative to the router's mount point, e.g. /2010-04-01/Accounts/AC.../Messages.json */
  path: string;
  query: Record<string, unknown>;
  form: Record<string, unknown>;
  status: number;
  /** The JSON body sent, or null for an empty (204) answer. */
  body: unknown;
};

export type TwilioSimulatorOptions = {
  accountSid: string;
  authToken: string;
  /** Absolute base for URLs the simulator mints (Lookup's `url`); default https://lookups.twilio.com. */
  publicBaseUrl?: string;
  clock?: Clock;
  /** 'auto' (default): accepted messages move on by themselves; 'manual': they wait for `deliver()`. */
  deliver?: 'auto' | 'manual';
  /** How deferred work (status changes, callback retries) waits; `immediateScheduler` in tests. */
  scheduler?: Scheduler;
  /** Delays before `sent`, then before the final status, and between webhook retries. */
  delays?: { sentMs?: number; finalMs?: number; retryMs?: number[] };
  /** Sees every exchange (the spec-validation test passes a SpecValidator). */
  observer?: { check(exchange: SimulatorExchange): unknown };
  log?: (line: string) => void;
  /**
   * Serve `POST /__simulator/inbound` unauthenticated on `router` (default true: standalone
   * tests). Our server passes false and mounts its own signed-in version (http/simulator-controls.ts).
   */
  controlRoutes?: boolean;
};

export type TwilioSimulator = {
  router: Router;
  /** "Reply as the patient": an inbound message from `from` to our number `to`, posted signed to its SmsUrl. */
  simulateInbound(input: InboundInput): Promise<InboundResult>;
  /** Puts a number on the account (e.g. numbers the database already owns, after a restart). */
  registerNumber(input: { phoneNumber: string; smsUrl?: string | null; statusCallback?: string | null; sid?: string }): SimulatedNumber;
  /** Moves queued messages (all, or one) through their outcome and waits for their callbacks. */
  deliver(sid?: string): Promise<void>;
  /** Posts one status callback without changing the message (duplicates, out-of-order tests). */
  sendStatusCallback(sid: string, status: MessageStatus, errorCode?: number | null): Promise<WebhookDelivery | null>;
  /** Resolves when every scheduled status change and webhook (with retries) has finished. */
  settle(): Promise<void>;
  messages(): readonly SimulatedMessage[];
  numbers(): readonly SimulatedNumber[];
  deliveries(): readonly WebhookDelivery[];
  /** Has `recipient` texted STOP to our number `sender` (and not START since)? */
  isOptedOut(sender: string, recipient: string): boolean;
  /** Forgets every message, number and opt-out. */
  reset(): void;
  /** Drops scheduled work (call on shutdown). */
  stop(): void;
};

/** Fresh credentials for a simulator and the carrier that talks to it. */
export function createSimulatorCredentials(): { accountSid: string; authToken: string } {
  return { accountSid: `AC${randomBytes(16).toString('hex')}`, authToken: randomBytes(16).toString('hex') };
}

type Reply = { status: number; body: unknown; after?: () => void };

export function createTwilioSimulator(options: TwilioSimulatorOptions): TwilioSimulator {
  const log = options.log ?? ((line: string) => console.warn(`[twilio-simulator] ${line}`));
  const work = new DeferredWork(options.scheduler ?? timerScheduler, log);
  const webhooks = new WebhookSender(options.authToken, work, options.delays?.retryMs ?? [1_000, 5_000, 15_000]);
  const twilio = new SimulatedTwilio({
    accountSid: options.accountSid,
    clock: options.clock ?? systemClock,
    deliver: options.deliver ?? 'auto',
    delays: { sentMs: options.delays?.sentMs ?? 300, finalMs: options.delays?.finalMs ?? 900 },
    lookupBaseUrl: (options.publicBaseUrl ?? 'https://lookups.twilio.com').replace(/\/$/, ''),
    work,
    webhooks,
  });
  const expected = Buffer.from(`${options.accountSid}:${options.authToken}`);

  function authenticate(req: Request) {
    const match = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    const presented = Buffer.from(match?.[1] ?? '', 'base64');
    if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
      throw new TwilioApiError(401, 20003, 'Authenticate');
    }
  }

  /** Twilio's request handling: auth, then the operation; errors become Twilio error bodies. */
  function twilioRoute(operation: (req: Request) => Reply) {
    return (req: Request, res: Response) => {
      let reply: Reply;
      try {
        authenticate(req);
        const account = req.params.AccountSid;
        if (account !== undefined && account !== options.accountSid) throw notFound(req.path);
        reply = operation(req);
      } catch (error) {
        if (!(error instanceof TwilioApiError)) throw error;
        reply = { status: error.status, body: errorJson(error.status, error.code, error.message) };
        if (error.status === 401) res.set('WWW-Authenticate', 'Basic realm="Twilio API"');
      }
      options.observer?.check({ method: req.method, path: req.path, query: { ...(req.query as object) }, form: formOf(req), status: reply.status, body: reply.body });
      // Twilio answers first and calls back later: deferred work starts once the answer is out.
      if (reply.after) res.once('finish', reply.after);
      if (reply.body === null) res.status(reply.status).end();
      else res.status(reply.status).json(reply.body);
    };
  }

  const accountPath = '/2010-04-01/Accounts/:AccountSid';
  const router = express.Router();
  // Parsers per route, not router.use(): mounted at the app root, the router must not touch other requests.
  const parse = [express.urlencoded({ extended: false }), express.json()];

  router.post(
    `${accountPath}/Messages.json`,
    parse,
    twilioRoute((req) => {
      const { json, message } = twilio.createMessage(formOf(req));
      return { status: 201, body: json, after: () => twilio.accepted(message) };
    }),
  );
  router.get(
    `${accountPath}/Messages.json`,
    twilioRoute((req) => ({ status: 200, body: twilio.listMessagesPage(req.query as Record<string, unknown>, req.path) })),
  );
  router.get(
    `${accountPath}/Messages/:Sid.json`,
    twilioRoute((req) => ({ status: 200, body: twilio.fetchMessage(String(req.params.Sid), req.path) })),
  );
  router.get(
    `${accountPath}/AvailablePhoneNumbers/:CountryCode/Local.json`,
    twilioRoute((req) => ({ status: 200, body: twilio.listAvailable(String(req.params.CountryCode), req.query as Record<string, unknown>, req.path) })),
  );
  router.post(
    `${accountPath}/IncomingPhoneNumbers.json`,
    parse,
    twilioRoute((req) => ({ status: 201, body: twilio.buyNumber(formOf(req)) })),
  );
  router.delete(
    `${accountPath}/IncomingPhoneNumbers/:Sid.json`,
    twilioRoute((req) => {
      twilio.releaseNumber(String(req.params.Sid), req.path);
      return { status: 204, body: null };
    }),
  );
  router.get(
    '/v2/PhoneNumbers/:PhoneNumber',
    twilioRoute((req) => ({ status: 200, body: twilio.lookup(String(req.params.PhoneNumber), req.query as Record<string, unknown>) })),
  );

  if (options.controlRoutes !== false) router.post('/__simulator/inbound', parse, async (req: Request, res: Response) => {
    const input = formOf(req);
    const mediaUrls = input.mediaUrls ?? input.mediaUrl;
    try {
      const result = await twilio.simulateInbound({
        from: String(input.from ?? ''),
        to: String(input.to ?? ''),
        body: String(input.body ?? ''),
        mediaUrls: mediaUrls === undefined ? [] : ([] as unknown[]).concat(mediaUrls).map(String),
      });
      res.json({ sid: result.sid, optOutType: result.optOutType, webhookStatus: result.webhook?.status ?? null });
    } catch (error) {
      if (!(error instanceof SimulatorInputError)) throw error;
      res.status(error.status).json({ error: error.message });
    }
  });

  return {
    router,
    simulateInbound: (input) => twilio.simulateInbound(input),
    registerNumber: (input) => twilio.registerNumber(input),
    deliver: (sid) => twilio.deliver(sid),
    sendStatusCallback: (sid, status, errorCode) => twilio.sendStatusCallback(sid, status, errorCode ?? null),
    settle: () => work.settle(),
    messages: () => twilio.listMessages(),
    numbers: () => twilio.listNumbers(),
    deliveries: () => webhooks.deliveries,
    isOptedOut: (sender, recipient) => twilio.optOuts.isOptedOut(sender, recipient),
    reset: () => {
      twilio.reset();
      webhooks.deliveries.length = 0;
    },
    stop: () => work.stop(),
  };
}

function formOf(req: Request): Record<string, unknown> {
  return req.body && typeof req.body === 'object' ? { ...(req.body as Record<string, unknown>) } : {};
}
