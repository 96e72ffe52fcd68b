import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';

/**
 * Every environment variable the server reads, parsed in one place so a bad value stops the
 * process at boot with a message naming the variable, instead of failing later mid-request.
 */
const databaseUrl = z
  .string()
  .trim()
  .refine((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'postgres:' || url.protocol === 'postgresql:') && url.hostname !== '';
    } catch {
      return false;
    }
  }, 'must look like postgres://user:password@host:5432/database');

const smtpUrl = z
  .string()
  .trim()
  .refine((value) => {
    try {
      return ['smtp:', 'smtps:'].includes(new URL(value).protocol);
    } catch {
      return false;
    }
  }, 'must look like smtp://user:password@host:587 or smtps://host:465');

const optional = <T extends z.ZodTypeAny>(schema: T) =>
  z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), schema.optional());

const envSchema = z.object({
  NODE_ENV: optional(z.enum(['development', 'production', 'test'])),
  PORT: optional(z.coerce.number().int().min(0).max(65535)),
  HOST: optional(z.string()),
  DATA_DIR: optional(z.string()),
  DATABASE_URL: optional(databaseUrl),
  PUBLIC_URL: optional(z.url({ message: 'must be an absolute http(s) URL such as https://caretext.example.com' })),
  TWILIO_ACCOUNT_SID: optional(z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'must start with AC followed by 32 hex characters')),
  TWILIO_AUTH_TOKEN: optional(z.string().min(16, 'looks too short')),
  /** Where the Twilio REST API lives when it is not api.twilio.com: one simulator shared by several instances. */
  TWILIO_API_BASE: optional(z.url({ message: 'must be an absolute http(s) URL' })),
  /** How long a send claim holds before another worker may reconcile the message (tests make it short). */
  SEND_CLAIM_TTL_SECONDS: optional(z.coerce.number().int().min(1)),
  SMTP_URL: optional(smtpUrl),
  MAIL_FROM: optional(z.string()),
  SUPPORT_EMAIL: optional(z.email()),
  AI_BASE_URL: optional(z.url()),
  AI_API_KEY: optional(z.string()),
  AI_MODEL: optional(z.string()),
  SEED_DEMO: optional(z.enum(['0', '1', 'true', 'false'])),
  LOG_LEVEL: optional(z.enum(['error', 'warn', 'info', 'debug'])),
  /** Demo tools (dev mailbox, "reply as patient"): default on only when PUBLIC_URL is a loopback address. */
  DEMO_TOOLS: optional(z.enum(['on', 'off'], { message: 'must be "on" or "off" (unset: on only when PUBLIC_URL is a loopback address)' })),
  IMPORT_MAX_MB: optional(z.coerce.number().int().min(1).max(1024)),
  /** Where attachment files are kept (default `<DATA_DIR>/attachments`). */
  ATTACHMENTS_DIR: optional(z.string()),
  ATTACHMENT_MAX_MB: optional(z.coerce.number().int().min(1).max(100)),
  /** Signs short-lived download links; unset: a random one made once and kept in the database. */
  URL_SIGNING_SECRET: optional(z.string().min(32, 'must be at least 32 characters (e.g. openssl rand -base64 32)')),
  TRUST_PROXY: optional(z.string().transform((value, ctx) => parseTrustProxy(value, ctx))),
  /** Fault injection for the crash-resume test: the process kills itself after N import batches. */
  CARETEXT_FAULT_CRASH_AFTER_IMPORT_BATCHES: optional(z.coerce.number().int().min(1)),
});

export type Config = {
  env: 'development' | 'production' | 'test';
  port: number;
  host: string;
  dataDir: string;
  /** PostgreSQL when set; otherwise embedded PGlite in `${dataDir}/pglite`. */
  databaseUrl: string | null;
  publicUrl: string;
  /** `apiBase`: the REST API's origin (and mount path) when it is not Twilio's, e.g. a shared simulator. */
  twilio: { accountSid: string; authToken: string; apiBase?: string } | null;
  /** Send claims expire after this (send-worker.ts); null: the default, CLAIM_TTL_MS. */
  sendClaimTtlMs?: number | null;
  /** Null means: run the embedded SMTP sink and show mail on the Dev mailbox page. */
  smtpUrl: string | null;
  mailFrom: string;
  supportEmail: string;
  ai: { baseUrl: string; apiKey: string | null; model: string } | null;
  seedDemo: boolean;
  logLevel: 'error' | 'warn' | 'info' | 'debug';
  /** Where the built web app lives; served at `/` when present. */
  webDist: string | null;
  /** The built Chrome extension, offered as a zip on the "Get the extension" page. */
  extensionDist?: string;
  importMaxBytes: number;
  /** Attachment files (attachments/attachment-store.ts); created on the first upload. */
  attachmentsDir: string;
  attachmentMaxBytes: number;
  /** Null: the server makes one and keeps it in the database, shared by every instance. */
  urlSigningSecret: string | null;
  /**
   * Which peers may tell us the client's address (X-Forwarded-For), for per-address sign-in
   * limits and audit records: Express's `trust proxy` value. False: none, use the socket address.
   */
  trustProxy: TrustProxy;
  /** How often a live stream re-checks its session (idle timeout); tests make it short. */
  sessionRecheckMs: number;
  /**
   * Demo tools: the Dev mailbox page and the simulator's "reply as the patient". They read
   * other people's mail and fake carrier traffic, so they are on by default only for a server
   * nobody else can reach (PUBLIC_URL on loopback); DEMO_TOOLS=on|off decides otherwise.
   * Null means "decide from publicUrl" (see demoToolsOn), so tests that override publicUrl follow it.
   */
  demoTools: boolean | null;
  faults: { crashAfterImportBatches: number | null };
};

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  if (Boolean(e.TWILIO_ACCOUNT_SID) !== Boolean(e.TWILIO_AUTH_TOKEN)) {
    throw new ConfigError('Invalid configuration:\n  TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN must be set together');
  }
  if (e.TWILIO_API_BASE && !e.TWILIO_ACCOUNT_SID) {
    throw new ConfigError('Invalid configuration:\n  TWILIO_API_BASE needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN');
  }
  const port = e.PORT ?? 3000;
  const config: Config = {
    env: e.NODE_ENV ?? 'production',
    port,
    host: e.HOST ?? '0.0.0.0',
    dataDir: path.resolve(e.DATA_DIR ?? './data'),
    databaseUrl: e.DATABASE_URL ?? null,
    publicUrl: (e.PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/$/, ''),
    twilio: e.TWILIO_ACCOUNT_SID ? { accountSid: e.TWILIO_ACCOUNT_SID, authToken: e.TWILIO_AUTH_TOKEN!, ...(e.TWILIO_API_BASE ? { apiBase: e.TWILIO_API_BASE } : {}) } : null,
    sendClaimTtlMs: e.SEND_CLAIM_TTL_SECONDS ? e.SEND_CLAIM_TTL_SECONDS * 1000 : null,
    smtpUrl: e.SMTP_URL ?? null,
    mailFrom: e.MAIL_FROM ?? 'CareText <no-reply@caretext.local>',
    supportEmail: e.SUPPORT_EMAIL ?? 'support@caretext.local',
    ai: e.AI_BASE_URL ? { baseUrl: e.AI_BASE_URL, apiKey: e.AI_API_KEY ?? null, model: e.AI_MODEL ?? 'gpt-4o-mini' } : null,
    seedDemo: e.SEED_DEMO ? e.SEED_DEMO === '1' || e.SEED_DEMO === 'true' : !e.DATABASE_URL,
    logLevel: e.LOG_LEVEL ?? 'info',
    webDist: null,
    importMaxBytes: (e.IMPORT_MAX_MB ?? 50) * 1024 * 1024,
    attachmentsDir: path.resolve(e.ATTACHMENTS_DIR ?? path.join(e.DATA_DIR ?? './data', 'attachments')),
    attachmentMaxBytes: (e.ATTACHMENT_MAX_MB ?? 10) * 1024 * 1024,
    urlSigningSecret: e.URL_SIGNING_SECRET ?? null,
    trustProxy: e.TRUST_PROXY ?? 'loopback',
    sessionRecheckMs: 30_000,
    demoTools: e.DEMO_TOOLS ? e.DEMO_TOOLS === 'on' : null,
    faults: { crashAfterImportBatches: e.CARETEXT_FAULT_CRASH_AFTER_IMPORT_BATCHES ?? null },
    ...overrides,
  };
  return config;
}

/** Express `trust proxy`: false, a hop count, or a list of addresses, CIDR ranges and presets. */
export type TrustProxy = false | number | string[] | 'loopback';

const PROXY_PRESETS = ['loopback', 'linklocal', 'uniquelocal'];

/**
 * TRUST_PROXY: `none` (use the socket address), `loopback` (the default: a proxy on this
 * machine), a hop count (`1` behind one load balancer), or a comma-separated list of
 * addresses, CIDR ranges and presets (`10.0.0.0/8, loopback`). `true` (trust everyone) is
 * refused: any client could then pick the address its sign-in attempts are counted under.
 */
function parseTrustProxy(raw: string, ctx: z.RefinementCtx): TrustProxy {
  const value = raw.trim().toLowerCase();
  if (value === 'none' || value === 'false' || value === '0') return false;
  if (value === 'loopback') return 'loopback';
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (hops > 10) ctx.addIssue({ code: 'custom', message: 'a hop count must be between 0 and 10' });
    return hops;
  }
  const entries = value.split(',').map((entry) => entry.trim()).filter(Boolean);
  const bad = entries.filter((entry) => !PROXY_PRESETS.includes(entry) && !isAddressOrRange(entry));
  if (entries.length === 0 || bad.length > 0) {
    ctx.addIssue({
      code: 'custom',
      message: `must be none, loopback, a hop count, or a comma-separated list of addresses and CIDR ranges (not understood: ${bad.join(', ') || raw})`,
    });
  }
  return entries;
}

function isAddressOrRange(entry: string): boolean {
  const [address, prefix, ...rest] = entry.split('/');
  const version = isIP(address ?? '');
  if (!version || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d+$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128);
}

/** localhost, 127.0.0.0/8 and ::1: addresses only this machine can reach. */
export function isLoopbackUrl(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return false;
  }
  return host === 'localhost' || host.endsWith('.localhost') || /^127(\.\d{1,3}){3}$/.test(host) || host === '[::1]';
}

/** Whether the demo tools answer: DEMO_TOOLS when set, else only on a loopback PUBLIC_URL. */
export function demoToolsOn(config: Pick<Config, 'demoTools' | 'publicUrl'>): boolean {
  return config.demoTools ?? isLoopbackUrl(config.publicUrl);
}

/** For logs: the database without its password. */
export function describeDatabase(config: Config): string {
  if (!config.databaseUrl) return `PGlite in ${path.join(config.dataDir, 'pglite')}`;
  const url = new URL(config.databaseUrl);
  url.password = url.password ? '***' : '';
  return `PostgreSQL ${url.toString()}`;
}
