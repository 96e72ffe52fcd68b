import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { type AddressInfo, createServer } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTRPCClient, httpBatchLink, httpLink, httpSubscriptionLink, splitLink, TRPCClientError } from '@trpc/client';
import { EventSource } from 'eventsource';
import pg from 'pg';
import superjson from 'superjson';
import { inject } from 'vitest';
import { loadConfig } from '../src/config.js';
import { type Database, openDatabase } from '../src/db/database.js';
import { type RunningServer, startServer } from '../src/server.js';
import type { AppRouter } from '../src/trpc/app-router.js';
import { MAX_BATCH_SIZE, UNBATCHABLE } from '../src/trpc/context.js';
import type { Clock } from '../src/clock.js';
import { immediateScheduler } from '../src/carriers/simulator/webhooks.js';
import { SpecValidator } from '../src/carriers/simulator/spec-validator.js';

/** Which database this run tests: the root vitest config runs the suite once per backend. */
export const TEST_DB = (process.env.TEST_DB ?? 'pglite') as 'pglite' | 'postgres';
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export class TestClock implements Clock {
  constructor(private current = new Date('2026-04-22T16:00:00Z')) {}
  /** Each reading moves time on by 1 ms, so records made in a row keep their order. */
  now() {
    this.current = new Date(this.current.getTime() + 1);
    return new Date(this.current);
  }
  advance(ms: number) {
    this.current = new Date(this.current.getTime() + ms);
  }
}

let template: Blob | null | undefined;
/** The migrated empty database global-setup.ts dumped (read once per test file), or null outside a server:pglite run. */
function pgliteTemplate(): Blob | null {
  if (template === undefined) {
    const file = inject('pgliteTemplate');
    template = file ? new Blob([readFileSync(file)]) : null;
  }
  return template;
}

/** A fresh, empty database: in-memory PGlite, or a new PostgreSQL database dropped afterwards. */
export async function openTestDatabase(): Promise<{ db: Database; url: string | null; drop(): Promise<void> }> {
  if (TEST_DB === 'pglite') {
    const db = await openDatabase({ kind: 'pglite', dir: null, template: pgliteTemplate() ?? undefined });
    return { db, url: null, drop: () => db.close() };
  }
  const name = `ct_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  const db = await openDatabase({ kind: 'postgres', url: url.toString(), poolSize: 5 });
  return {
    db,
    url: url.toString(),
    async drop() {
      await db.close();
      const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export type TestServer = RunningServer & {
  /** The scratch PostgreSQL database's URL (null on PGlite). */
  databaseUrl: string | null;
  clock: TestClock;
  /** Where this server keeps attachment files: a fresh temporary directory per test server. */
  attachmentsDir: string;
  /** Every request and response the simulator handled, checked against Twilio's OpenAPI spec. */
  spec: SpecValidator;
  /** A client with no session (signed out). */
  anon: ApiClient;
  /** A client authenticated with a bearer token. */
  as(token: string): ApiClient;
  stop(): Promise<void>;
};

export type ApiClient = ReturnType<typeof makeClient>;

function makeClient(url: string, token: string | null) {
  const headers = (): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: httpSubscriptionLink({
          url: `${url}/trpc`,
          transformer: superjson,
          // Browsers' EventSource sends cookies; in Node the `eventsource` package lets us add the bearer header.
          EventSource,
          eventSourceOptions: () => ({
            fetch: (input: string | URL | Request, init?: RequestInit) =>
              fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), ...headers() } }),
          }),
        }),
        // The server refuses batches of more than 10 calls (MAX_BATCH_SIZE) and batched auth
        // calls (UNBATCHABLE): those go one per request, like the web app sends them.
        false: splitLink({
          condition: (op) => UNBATCHABLE.has(op.path),
          true: httpLink({ url: `${url}/trpc`, transformer: superjson, headers }),
          false: httpBatchLink({ url: `${url}/trpc`, transformer: superjson, headers, maxItems: MAX_BATCH_SIZE }),
        }),
      }),
    ],
  });
}

export async function startTestServer(overrides: Partial<import('../src/config.js').Config> = {}): Promise<TestServer> {
  const database = await openTestDatabase();
  const attachmentsDir = overrides.attachmentsDir ?? mkdtempSync(path.join(tmpdir(), 'caretext-attachments-'));
  return startInstance(database.db, database.url, new TestClock(), { attachmentsDir, ...overrides }, async () => {
    await database.drop();
    if (!overrides.attachmentsDir) rmSync(attachmentsDir, { recursive: true, force: true });
  });
}

/**
 * A second server instance on `first`'s database, as another process behind a load balancer:
 * its own simulator, workers and event channel (LISTEN connection on PostgreSQL). Stop it
 * before `first`, which drops the database.
 */
export async function startAnotherInstance(first: TestServer, overrides: Partial<import('../src/config.js').Config> = {}): Promise<TestServer> {
  return startInstance(first.db, first.databaseUrl, first.clock, { attachmentsDir: first.attachmentsDir, ...overrides }, async () => {});
}

async function startInstance(db: Database, databaseUrl: string | null, clock: TestClock, overrides: Partial<import('../src/config.js').Config>, drop: () => Promise<void>): Promise<TestServer> {
  const config = loadConfig({}, { port: 0, host: '127.0.0.1', dataDir: '/nonexistent', databaseUrl, seedDemo: false, env: 'test', importMaxBytes: 2 * 1024 * 1024, ...overrides });
  const spec = new SpecValidator();
  const server = await startServer(config, { db, clock, logger: false, simulator: { scheduler: immediateScheduler, delays: { retryMs: [0, 0] }, observer: spec } });
  config.publicUrl = server.url;
  return {
    ...server,
    databaseUrl,
    clock,
    attachmentsDir: config.attachmentsDir,
    spec,
    anon: makeClient(server.url, null),
    as: (token) => makeClient(server.url, token),
    async stop() {
      await server.close();
      await drop();
    },
  };
}

let counter = 0;
export function uniqueEmail(prefix = 'user'): string {
  counter += 1;
  return `${prefix}${counter}.${randomBytes(3).toString('hex')}@clinic.example`;
}

export const PASSWORD = 'correct horse battery';

/** Factory: a signed-up user with a bearer-token client (sign up, then follow the emailed link). */
export async function signUp(server: TestServer, name = 'Test User', email = uniqueEmail()) {
  await server.anon.auth.signUp.mutate({ name, email, password: PASSWORD });
  const confirm = await confirmTokenFor(server, email);
  const { token } = await server.anon.auth.confirmSignUp.mutate({ token: confirm, client: 'extension' });
  return { email, name, token: token!, api: server.as(token!) };
}

/** The token of the newest sign-up confirmation link mailed to `email`. */
export async function confirmTokenFor(server: TestServer, email: string): Promise<string> {
  const to = email.toLowerCase();
  const mail = await waitFor(() => server.db.prisma.devMail.findFirst({ where: { to, subject: { startsWith: 'Confirm your email' } }, orderBy: { createdAt: 'desc' } }));
  const match = /\/confirm-email\/([A-Za-z0-9_-]+)/.exec(mail.text);
  if (!match) throw new Error(`no confirmation link in mail to ${email}`);
  return match[1]!;
}

/** Factory: an organization with its owner, an admin and a member, each with a client. */
export async function orgWithStaff(server: TestServer, orgName = 'North Clinic') {
  const owner = await signUp(server, `${orgName} Owner`);
  const org = await owner.api.orgs.create.mutate({ name: orgName, timeZone: 'America/Chicago' });
  const admin = await joinAs(server, owner, 'admin');
  const member = await joinAs(server, owner, 'member');
  return { org, owner, admin, member };
}

/** Invite -> read the link from the mail sink -> the invitee signs up and accepts. */
export async function joinAs(server: TestServer, inviter: { api: ApiClient }, role: 'admin' | 'member', name = `A ${role}`) {
  const email = uniqueEmail(role);
  await inviter.api.members.invite.mutate({ email, role });
  const token = await inviteTokenFor(server, email);
  const user = await signUp(server, name, email);
  await user.api.auth.acceptInvite.mutate({ token });
  return user;
}

export async function inviteTokenFor(server: TestServer, email: string): Promise<string> {
  const mail = await waitFor(() => server.db.prisma.devMail.findFirst({ where: { to: { contains: email } }, orderBy: { createdAt: 'desc' } }));
  const match = /\/invite\/([A-Za-z0-9_-]+)/.exec(mail.text);
  if (!match) throw new Error(`no invite link in mail to ${email}`);
  return match[1]!;
}

/** Polls a condition that another async path (SMTP delivery) will make true. Bounded (about 15 s on a quiet machine, longer under load), never timed. */
export async function waitFor<T>(probe: () => Promise<T | null | undefined>, attempts = 600): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const value = await probe();
    if (value) return value;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('condition not met');
}

export async function errorOf(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TRPCClientError) return { code: error.data?.code ?? 'UNKNOWN', message: error.message };
    throw error;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/** Uploads a CSV the way the web app does: the raw file as the request body. */
export async function uploadCsv(server: TestServer, token: string, csv: string | Uint8Array, name = 'patients.csv') {
  const res = await fetch(`${server.url}/api/imports/patients?name=${encodeURIComponent(name)}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
    body: csv,
  });
  return { status: res.status, body: (await res.json()) as { jobId?: string; error?: string } };
}

/** Uploads an attachment the way the composers will: the raw file as the request body. */
export async function uploadAttachment(server: TestServer, auth: string | { cookie: string; origin?: string } | null, conversationId: string, bytes: Uint8Array | string, name = 'file', headers: Record<string, string> = {}) {
  const authHeaders: Record<string, string> = auth === null ? {} : typeof auth === 'string' ? { authorization: `Bearer ${auth}` } : { cookie: auth.cookie, ...(auth.origin ? { origin: auth.origin } : {}) };
  const res = await fetch(`${server.url}/api/attachments?conversationId=${encodeURIComponent(conversationId)}&name=${encodeURIComponent(name)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream', ...authHeaders, ...headers },
    body: bytes,
  });
  return { status: res.status, body: (await res.json()) as { id: string; fileName: string; contentType: string; size: number; error?: string } };
}

/** Tiny real files, recognized by their bytes. */
export const SAMPLE_FILES = {
  png: Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082', 'hex'),
  jpeg: Buffer.from('ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b0b0c1912130f141d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432ffd9', 'hex'),
  pdf: Buffer.from('%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n', 'latin1'),
  exe: Buffer.concat([Buffer.from('MZ', 'latin1'), Buffer.alloc(126, 0x90)]),
  html: Buffer.from('<!doctype html><html><body><script>fetch("/trpc/auth.me")</script></body></html>'),
};

/** Waits for the background worker to bring a job to one of the given states. */
export async function jobReaches(api: ApiClient, jobId: string, statuses: string[], attempts = 2000) {
  return waitFor(async () => {
    const job = await api.imports.get.query({ jobId });
    return statuses.includes(job.status) ? job : null;
  }, attempts);
}

/** Factory: an SMS-plan org whose "Front Desk" team (owner + member) has a number, and a patient. */
export async function smsClinic(server: TestServer, patientPhone = '+14155550100', orgName = 'SMS Clinic') {
  const staff = await orgWithStaff(server, orgName);
  await staff.owner.api.plan.checkout.mutate({ plan: 'sms' });
  const team = await staff.owner.api.teams.create.mutate({ name: 'Front Desk' });
  for (const who of [staff.owner, staff.member]) {
    const userId = (await who.api.auth.me.query())!.user.id;
    await staff.owner.api.teams.addMember.mutate({ teamId: team.id, userId });
  }
  const [available] = await staff.owner.api.numbers.search.query({ areaCode: '415' });
  const number = await staff.owner.api.numbers.buy.mutate({ phoneNumber: available!.phoneNumber, teamId: team.id });
  const patient = await staff.member.api.patients.create.mutate({ firstName: 'Amina', lastName: 'Patel', phone: patientPhone, dob: '1985-03-14', email: 'amina@example.com' });
  const { conversationId } = await staff.member.api.conversations.startSms.mutate({ teamId: team.id, patientId: patient.id });
  return { ...staff, team, number, patient, conversationId };
}

/**
 * Waits until a message reaches a status (the send worker and carrier callbacks are async),
 * polling at most `attempts` times (25 ms apart).
 */
export async function messageReaches(server: TestServer, messageId: string, statuses: string[], attempts = 200) {
  let last: unknown = null;
  return waitFor(async () => {
    await server.simulator?.settle();
    const m = await server.db.prisma.message.findUnique({ where: { id: messageId } });
    last = m;
    return m && statuses.includes(m.status) ? m : null;
  }, attempts).catch((error: Error) => {
    throw new Error(`message never reached ${statuses.join('/')}: ${JSON.stringify(last)}`, { cause: error });
  });
}

/** The built server (`pnpm build`); the specs that run it as a real process skip without it. */
export const SERVER_MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

/**
 * `node dist/main.js` as a child process on a free port, with only `env` (and PATH) set; `url`
 * resolves once it listens and rejects, with what it printed, if it exits first.
 */
export function bootServerProcess(env: Record<string, string>) {
  const child = spawn(process.execPath, [SERVER_MAIN], { env: { PATH: process.env.PATH!, PORT: '0', HOST: '127.0.0.1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let exit: NodeJS.Signals | number | null | undefined;
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve((exit = signal ?? code))));
  const url = new Promise<string>((resolve, reject) => {
    const onData = (d: Buffer) => {
      output += d;
      const match = /CareText is running at (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]!);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then(() => reject(new Error(`server exited:\n${output}`)));
  });
  return { child, url, exited, alive: () => exit === undefined, output: () => output };
}

/** A port nothing listens on right now, for a process that must know its address before it starts (PUBLIC_URL). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
