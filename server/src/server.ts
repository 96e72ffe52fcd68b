import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { type LoggerService, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { createExpressMiddleware } from '@trpc/server/adapters/express';
import { AppModule } from './app.module.js';
import { AuthService } from './auth/auth.service.js';
import type { BillingProvider } from './billing/billing.provider.js';
import { type Config, demoToolsOn } from './config.js';
import { type Database, openDatabase } from './db/database.js';
import { serveWebApp } from './http/web-app.js';
import { DevMailState } from './mail/dev-mail-state.js';
import { MailService } from './mail/mail.service.js';
import { AccessService } from './access/access.service.js';
import { TrpcRouter } from './trpc/app-router.js';
import { mountAttachmentRoutes } from './attachments/attachments.http.js';
import { mountBlastImageRoutes } from './blasts/blast-images.http.js';
import { BlastImagesService } from './blasts/blast-images.js';
import { AttachmentsService } from './attachments/attachments.service.js';
import { mountImportRoutes } from './imports/imports.http.js';
import { ImportsService } from './imports/imports.service.js';
import { clientIp, type Context, MAX_BATCH_SIZE, readSessionToken, refuseBatch } from './trpc/context.js';
import { type Clock, systemClock } from './clock.js';
import type { Carrier } from './carriers/carrier.js';
import { createSimulatorCredentials, createTwilioSimulator, type TwilioSimulator, type TwilioSimulatorOptions } from './carriers/simulator/twilio-simulator.js';
import { TwilioCarrier } from './carriers/twilio/twilio-carrier.js';
import { InboundService } from './messages/inbound.service.js';
import { StatusService } from './messages/status.service.js';
import { mountNumberRoutes } from './numbers/numbers.http.js';
import { NumbersService, WEBHOOK_PATHS } from './numbers/numbers.service.js';
import { mountTwilioWebhooks, statusWebhookHandler } from './webhooks/twilio-webhooks.js';
import { mountExtensionDownload } from './http/extension-download.js';
import { fileURLToPath } from 'node:url';
import { mountApiErrorHandler } from './imports/imports.http.js';
import { refuseDeclaredOversize, TRPC_MAX_BODY_BYTES } from './http/body-limits.js';
import { csrfGuard, trpcJsonOnly } from './http/csrf.js';
import { securityHeaders } from './http/security-headers.js';
import { mountPortalRoutes } from './portal/portal.http.js';
import { PortalService } from './portal/portal.service.js';
import { mountSimulatorControls } from './http/simulator-controls.js';
import { SimulatorService } from './messages/simulator.service.js';
import { HealthService, Readiness } from './health/health.service.js';
import { mountHealth } from './http/health.js';
import { isDatabaseUnavailable, RETRY_AFTER_SECONDS } from './db/unavailable.js';
import type { EventBus } from './events/event-bus.js';
import { openEventBus } from './events/pg-notify-event-bus.js';

/** LOG_LEVEL: what the server prints, from errors only to debug detail (Nest's levels). */
const LOG_LEVELS: Record<Config['logLevel'], LogLevel[]> = {
  error: ['error'],
  warn: ['error', 'warn'],
  info: ['error', 'warn', 'log'],
  debug: ['error', 'warn', 'log', 'debug', 'verbose'],
};

export type RunningServer = {
  url: string;
  port: number;
  db: Database;
  app: NestExpressApplication;
  /** The Twilio-compatible simulator, when no Twilio credentials are configured. */
  simulator: TwilioSimulator | null;
  /** starting -> ready -> stopping, as GET /health/ready reports it. */
  readiness: Readiness;
  close(): Promise<void>;
};

export type StartOptions = {
  /** An open database (tests share one); otherwise opened from the config and closed on close(). */
  db?: Database;
  clock?: Clock;
  billing?: BillingProvider;
  logger?: false | LogLevel[] | LoggerService;
  /** Simulator tuning (tests use an immediate scheduler). */
  simulator?: Pick<TwilioSimulatorOptions, 'scheduler' | 'delays' | 'deliver' | 'observer'>;
};

/** Mount point of the simulator's Twilio REST API inside our own server. */
export const SIMULATOR_PATH = '/__twilio';

export async function openConfiguredDatabase(config: Config, log: (line: string) => void): Promise<Database> {
  return openDatabase(config.databaseUrl ? { kind: 'postgres', url: config.databaseUrl } : { kind: 'pglite', dir: config.dataDir }, log);
}

/** config -> database -> migrate -> Nest app -> HTTP. Used by main.ts and by every API test. */
export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  const ownsDb = !options.db;
  const readiness = new Readiness();
  const db = options.db ?? (await openConfiguredDatabase(config, (line) => console.log(`[db] ${line}`)));
  let sink: Awaited<ReturnType<typeof import('./mail/dev-sink.js').startDevMailSink>> | null = null;
  let events: EventBus | null = null;
  const clock = options.clock ?? systemClock;
  // Real Twilio with credentials; otherwise the same SDK code talks to the simulator mounted
  // in this server (its URL is known only once we listen, hence the function).
  let simulator: TwilioSimulator | null = null;
  let ownUrl = '';
  let carrier: Carrier;
  if (config.twilio) {
    const { apiBase, ...credentials } = config.twilio;
    carrier = new TwilioCarrier({ ...credentials, ...(apiBase ? { baseUrl: apiBase } : {}) });
  } else {
    const credentials = createSimulatorCredentials();
    // Its unauthenticated control route is replaced by our signed-in one (http/simulator-controls.ts).
    simulator = createTwilioSimulator({ ...credentials, clock, ...options.simulator, controlRoutes: false });
    carrier = new TwilioCarrier({ ...credentials, baseUrl: () => ownUrl + SIMULATOR_PATH });
  }
  try {
    // PostgreSQL: live events through LISTEN/NOTIFY, so every instance's subscribers see them.
    events = await openEventBus(db, config.databaseUrl, (line) => console.warn(`[events] ${line}`));
    const app = await NestFactory.create<NestExpressApplication>(
      AppModule.register({ config, db, clock, billing: options.billing, carrier, simulator, events }),
      { logger: options.logger ?? LOG_LEVELS[config.logLevel], bodyParser: true },
    );
    // X-Forwarded-For is believed only from the proxies TRUST_PROXY names (per-address limits).
    app.set('trust proxy', config.trustProxy);
    app.disable('x-powered-by');

    // Without SMTP_URL mail is caught by the embedded sink either way (invites must not fail);
    // whether anyone can read it on the Dev mailbox is a demo tool (config.ts: demoToolsOn).
    const demoTools = demoToolsOn(config);
    if (!config.smtpUrl) {
      // Loaded only here: with SMTP_URL set, the SMTP server and mail parser are never loaded.
      const { startDevMailSink } = await import('./mail/dev-sink.js');
      sink = await startDevMailSink(db);
      app.get(MailService).useSmtpUrl(sink.url);
      app.get(DevMailState).enabled = demoTools;
    }
    app.get(DevMailState).simulatorControls = demoTools && simulator !== null;

    const auth = app.get(AuthService);
    const access = app.get(AccessService);
    const expressApp = app.getHttpAdapter().getInstance();
    // First on every request: security headers (and no-store), then the CSRF origin check.
    // The CSRF check reads publicUrl per request: the test harness learns its port after listening.
    expressApp.use(securityHeaders({ https: config.publicUrl.startsWith('https:') }));
    expressApp.use(csrfGuard(() => config.publicUrl));
    mountHealth(expressApp, new HealthService(db, readiness, events));
    // One batched POST must not carry a hundred sign-in guesses (or a hundred of anything).
    app.use('/trpc', (req: import('express').Request, res: import('express').Response, next: () => void) => {
      const refused = refuseBatch(req.path, req.query.batch);
      if (refused) res.status(400).json(refused.body);
      else next();
    });
    app.use('/trpc', trpcJsonOnly);
    app.use(
      '/trpc',
      createExpressMiddleware({
        // Caps bodies without a Content-Length while they stream (the declared ones: refuseDeclaredOversize).
        maxBodySize: TRPC_MAX_BODY_BYTES,
        router: app.get(TrpcRouter).appRouter,
        maxBatchSize: MAX_BATCH_SIZE,
        createContext: async ({ req, res }): Promise<Context> => {
          const presented = readSessionToken(req);
          const { auth: state, ended } = presented ? await auth.authenticateOrExplain(presented.token) : { auth: null, ended: null };
          return { auth: state, authEnded: ended, sessions: auth, ip: clientIp(req), userAgent: req.headers['user-agent'] ?? null, access, req, res };
        },
        onError: ({ error, path }) => {
          if (isDatabaseUnavailable(error.cause)) console.warn(`[trpc] ${path}: database unavailable (${error.cause?.message}): answered 503`);
          else if (error.code === 'INTERNAL_SERVER_ERROR') console.error(`[trpc] ${path}:`, error.cause ?? error);
        },
        // The database restarting or failing over: 503 and when to ask again, not a 500.
        responseMeta: ({ errors }) => (errors.some((e) => isDatabaseUnavailable(e.cause)) ? { status: 503, headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) } } : {}),
      }),
    );
    mountPortalRoutes(expressApp, app.get(PortalService), { https: config.publicUrl.startsWith('https:') });
    mountImportRoutes(expressApp, app.get(ImportsService), auth, access);
    mountNumberRoutes(expressApp, app.get(NumbersService), auth, access);
    mountAttachmentRoutes(expressApp, app.get(AttachmentsService), auth, access);
    mountBlastImageRoutes(expressApp, app.get(BlastImagesService), auth, access);
    mountApiErrorHandler(expressApp);
    mountTwilioWebhooks(expressApp, { publicUrl: config.publicUrl, config, carrier, status: app.get(StatusService), inbound: app.get(InboundService) });
    if (simulator) {
      mountSimulatorControls(expressApp, SIMULATOR_PATH, { simulator: app.get(SimulatorService), auth, access });
      expressApp.use(SIMULATOR_PATH, simulator.router);
    }
    mountExtensionDownload(expressApp, config.extensionDist ?? fileURLToPath(new URL('../../extension/dist', import.meta.url)));
    if (config.webDist) serveWebApp(expressApp, config.webDist);

    await app.init();
    // Status callbacks skip Express (see statusWebhookHandler); everything else goes to it.
    const httpServer = app.getHttpServer() as import('node:http').Server;
    const [expressListener] = httpServer.listeners('request') as ((req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void)[];
    const onStatus = statusWebhookHandler({ config, carrier, status: app.get(StatusService) });
    httpServer.removeAllListeners('request');
    httpServer.on('request', (req, res) => {
      if (refuseDeclaredOversize(req, res)) return;
      if (req.method === 'POST' && req.url?.split('?')[0] === WEBHOOK_PATHS.status) void onStatus(req, res);
      else expressListener!(req, res);
    });
    await app.listen(config.port, config.host);
    const port = (app.getHttpServer().address() as AddressInfo).port;
    ownUrl = `http://127.0.0.1:${port}`;
    if (simulator) {
      // The simulator keeps its numbers in memory: re-register the ones we own after a restart.
      const numbers = await db.prisma.phoneNumber.findMany({ where: { status: 'active' } });
      for (const n of numbers) {
        simulator.registerNumber({ phoneNumber: n.e164, sid: n.carrierSid, smsUrl: config.publicUrl + WEBHOOK_PATHS.inbound, statusCallback: config.publicUrl + WEBHOOK_PATHS.status });
      }
    }
    const url = config.port === 0 ? `http://127.0.0.1:${port}` : config.publicUrl;
    readiness.state = 'ready';
    return {
      url,
      port,
      db,
      app,
      simulator,
      readiness,
      async close() {
        readiness.state = 'stopping';
        await app.close();
        await events!.close();
        simulator?.stop();
        await sink?.close();
        if (ownsDb) await db.close();
      },
    };
  } catch (error) {
    await sink?.close();
    await events?.close();
    if (ownsDb) await db.close();
    throw error;
  }
}
