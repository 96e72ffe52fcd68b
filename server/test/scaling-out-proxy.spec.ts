import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newSecretToken } from '../src/auth/tokens.js';
import { createSimulatorCredentials } from '../src/carriers/simulator/twilio-simulator.js';
import { loadConfig } from '../src/config.js';
import { TRPC_MAX_BODY_BYTES, UPLOAD_PATH } from '../src/http/body-limits.js';
import { WEBHOOK_PATHS } from '../src/numbers/numbers.service.js';
import { bootServerProcess, freePort, openTestDatabase, SERVER_MAIN, TEST_DB, waitFor } from './harness.js';

/** The nginx site file the README quotes; this test runs it, not a copy of it. */
const SHIPPED_CONF = fileURLToPath(new URL('../../docs/scaling-out/nginx.conf', import.meta.url));
const NGINX = [...(process.env.PATH ?? '').split(':').map((dir) => path.join(dir, 'nginx')), '/usr/sbin/nginx'].find((p) => existsSync(p));

/** The shipped file with our ports: each replaced line must be there exactly once, or the test is not testing it. */
function siteConf(instances: [string, string], listenPort: number): string {
  let text = readFileSync(SHIPPED_CONF, 'utf8');
  const replace = (from: string, to: string) => {
    expect(text.split(from).length - 1, `${from} in docs/scaling-out/nginx.conf`).toBe(1);
    text = text.replace(from, to);
  };
  replace('server 127.0.0.1:3001;', `server ${instances[0]};`);
  replace('server 127.0.0.1:3002;', `server ${instances[1]};`);
  replace('listen 80;', `listen 127.0.0.1:${listenPort};`);
  return text;
}

/** nginx as this user, everything (pid, logs, temp files) in its own directory; the site file included as it would be. */
function startNginx(site: string): { child: ChildProcess; dir: string; log: () => string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'caretext-nginx-'));
  for (const temp of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(path.join(dir, temp));
  writeFileSync(path.join(dir, 'caretext.conf'), site);
  writeFileSync(
    path.join(dir, 'nginx.conf'),
    [
      // As root, nginx would switch its workers to a user that cannot read this directory.
      process.getuid?.() === 0 ? `user ${userInfo().username};` : '',
      'daemon off;',
      'worker_processes 1;',
      `pid ${dir}/nginx.pid;`,
      `error_log ${dir}/error.log warn;`,
      'events { worker_connections 256; }',
      'http {',
      '  access_log off;',
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${dir}/${t};`),
      `  include ${dir}/caretext.conf;`,
      '}',
    ].join('\n'),
  );
  const child = spawn(NGINX!, ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'error.log')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => void (output += d));
  child.stderr!.on('data', (d: Buffer) => void (output += d));
  return { child, dir, log: () => output + (existsSync(path.join(dir, 'error.log')) ? readFileSync(path.join(dir, 'error.log'), 'utf8') : '') };
}

/**
 * The README's "Scaling out" recipe, run: two built server processes on one PostgreSQL database
 * behind nginx configured by docs/scaling-out/nginx.conf, one PUBLIC_URL (nginx's address).
 */
describe.runIf(TEST_DB === 'postgres' && existsSync(SERVER_MAIN) && NGINX)('two instances behind nginx (docs/scaling-out/nginx.conf)', () => {
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  const credentials = createSimulatorCredentials();
  let publicUrl: string;
  let instances: [string, string];
  let token: string;
  let clinic: { e164: string; patientPhone: string; conversationId: string; outboundSid: string; messageId: string };
  let db: Awaited<ReturnType<typeof openTestDatabase>>['db'];

  beforeAll(async () => {
    const scratch = await openTestDatabase();
    cleanups.push(() => scratch.drop());
    db = scratch.db;

    // A clinic with a number, a patient, a conversation with one sent message, and a member signed in (bearer token).
    const e164 = '+14155552101';
    const patientPhone = '+14155553101';
    const org = await db.prisma.org.create({ data: { name: 'Proxy Clinic', joinCode: 'PROXY-1', plan: 'sms', smsEnabled: true } });
    const team = await db.prisma.team.create({ data: { orgId: org.id, name: 'Front Desk' } });
    const number = await db.prisma.phoneNumber.create({ data: { orgId: org.id, teamId: team.id, e164, carrierSid: `PN${'2'.repeat(32)}` } });
    const patient = await db.prisma.patient.create({ data: { orgId: org.id, firstName: 'Amina', phone: patientPhone, phoneLineType: 'mobile' } });
    const conversation = await db.prisma.conversation.create({ data: { orgId: org.id, teamId: team.id, kind: 'sms', phoneNumberId: number.id, patientId: patient.id } });
    const outboundSid = `SM${'3'.repeat(32)}`;
    const message = await db.prisma.message.create({
      data: { orgId: org.id, conversationId: conversation.id, direction: 'outbound', channel: 'sms', body: 'See you tomorrow', status: 'sent', statusRank: 2, fromNumber: e164, toNumber: patientPhone, carrierSid: outboundSid },
    });
    const user = await db.prisma.user.create({ data: { email: 'nurse@proxy.example', name: 'Nurse', passwordHash: 'not-used' } });
    await db.prisma.membership.create({ data: { orgId: org.id, userId: user.id, role: 'member' } });
    await db.prisma.teamMember.create({ data: { teamId: team.id, userId: user.id } });
    const secret = newSecretToken();
    await db.prisma.session.create({ data: { userId: user.id, tokenHash: secret.hash, kind: 'bearer', activeOrgId: org.id, expiresAt: new Date(Date.now() + 86_400_000) } });
    token = secret.token;
    clinic = { e164, patientPhone, conversationId: conversation.id, outboundSid, messageId: message.id };

    // Both instances: one database, one PUBLIC_URL (nginx), the same Twilio credentials; their own ports.
    const proxyPort = await freePort();
    publicUrl = `http://127.0.0.1:${proxyPort}`;
    const env = {
      DATABASE_URL: scratch.url!,
      PUBLIC_URL: publicUrl,
      TWILIO_ACCOUNT_SID: credentials.accountSid,
      TWILIO_AUTH_TOKEN: credentials.authToken,
      TWILIO_API_BASE: 'http://127.0.0.1:9/twilio', // nothing here sends; never the real Twilio
      SEED_DEMO: '0',
      LOG_LEVEL: 'warn',
    };
    const servers = [bootServerProcess(env), bootServerProcess(env)];
    for (const s of servers) {
      cleanups.push(async () => {
        s.child.kill('SIGTERM');
        await s.exited;
      });
    }
    const urls = await Promise.all(servers.map((s) => s.url));
    instances = urls.map((u) => new URL(u).host) as [string, string];

    const nginx = startNginx(siteConf(instances, proxyPort));
    const nginxExited = new Promise((resolve) => nginx.child.on('exit', resolve));
    cleanups.push(async () => {
      nginx.child.kill('SIGTERM');
      await nginxExited;
      rmSync(nginx.dir, { recursive: true, force: true });
    });
    await waitFor(async () => (await fetch(`${publicUrl}/health/ready`).catch(() => null))?.ok || null, 400).catch(() => {
      throw new Error(`nginx did not proxy /health/ready:\n${nginx.log()}`);
    });
  }, 60_000);

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => {});
  });

  /** A callback as Twilio sends it: form-encoded, signed over `signedUrl` (Twilio signs the URL it calls). */
  function twilioPost(target: string, path: string, params: Record<string, string>, signedUrl = publicUrl + path) {
    return fetch(target + path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilio.getExpectedTwilioSignature(credentials.authToken, signedUrl, params) },
      body: new URLSearchParams(params).toString(),
    });
  }
  let sids = 0;
  const inbound = (body: string) => ({ AccountSid: credentials.accountSid, MessageSid: `SM${String(++sids).padStart(32, '0')}`, From: clinic.patientPhone, To: clinic.e164, Body: body, NumMedia: '0' });

  it('/health and /health/ready answer through the proxy', async () => {
    const ready = await fetch(`${publicUrl}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true, state: 'ready', database: { ok: true } });
    expect(await (await fetch(`${publicUrl}/health`)).json()).toMatchObject({ ok: true });
  });

  it('a live-event stream through nginx stays open and gets, as they happen, events whose cause went through either instance', async () => {
    // Read as a browser's EventSource asks for it (compression allowed: a proxy that compresses
    // the stream holds events back in its compression buffer).
    const input = encodeURIComponent(JSON.stringify({ json: {} }));
    const abort = new AbortController();
    const res = await fetch(`${publicUrl}/trpc/conversations.events?input=${input}`, {
      headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream', 'accept-encoding': 'gzip, deflate, br', 'cache-control': 'no-cache' },
      signal: abort.signal,
    });
    expect([res.status, res.headers.get('content-type')]).toEqual([200, 'text/event-stream']);
    let received = '';
    let ended = false;
    const reading = (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of res.body!) received += decoder.decode(chunk as Uint8Array, { stream: true });
    })()
      .catch(() => {})
      .finally(() => void (ended = true));
    try {
      // The stream is held by one instance; each of these replies reaches the other one directly
      // (Twilio may call any instance: the signature is over PUBLIC_URL, not the instance's address).
      for (const [i, host] of instances.entries()) {
        const body = `Reply through instance ${i + 1}`;
        const reply = await twilioPost(`http://${host}`, WEBHOOK_PATHS.inbound, inbound(body));
        expect(reply.status).toBe(200);
        await waitFor(async () => received.includes(body) || null).catch(() => {
          throw new Error(`"${body}" not received on the open stream (ended: ${ended}); got:\n${received}`);
        });
      }
      // A status callback through nginx reaches the same stream.
      const status = await twilioPost(publicUrl, WEBHOOK_PATHS.status, { AccountSid: credentials.accountSid, MessageSid: clinic.outboundSid, MessageStatus: 'delivered', From: clinic.e164, To: clinic.patientPhone });
      expect(status.status).toBe(204);
      await waitFor(async () => /"type":"message.updated".*"status":"delivered"/.test(received) || null);
      expect(ended).toBe(false); // received while the stream is open, not flushed at its end
    } finally {
      abort.abort();
      await reading;
    }
  }, 60_000);

  it('a signed webhook through nginx is accepted by whichever instance gets it; one signed against an instance\'s own address is refused', async () => {
    // Round robin: four calls in a row reach both instances.
    for (let i = 0; i < 4; i++) {
      const res = await twilioPost(publicUrl, WEBHOOK_PATHS.inbound, inbound(`Through nginx ${i}`));
      expect(res.status).toBe(200);
    }
    const stored = await db.prisma.message.count({ where: { conversationId: clinic.conversationId, body: { startsWith: 'Through nginx' } } });
    expect(stored).toBe(4);

    // Signed for http://<instance host:port>/...: not the URL Twilio was given, so forged as far as we know.
    for (const host of instances) {
      const own = `http://${host}${WEBHOOK_PATHS.inbound}`;
      const direct = await twilioPost(`http://${host}`, WEBHOOK_PATHS.inbound, inbound('Signed for the instance'), own);
      expect(direct.status).toBe(403);
      const proxied = await twilioPost(publicUrl, WEBHOOK_PATHS.inbound, inbound('Signed for the instance'), own);
      expect(proxied.status).toBe(403);
      const statusOwn = `http://${host}${WEBHOOK_PATHS.status}`;
      const status = await twilioPost(`http://${host}`, WEBHOOK_PATHS.status, { MessageSid: clinic.outboundSid, MessageStatus: 'failed', ErrorCode: '30003' }, statusOwn);
      expect(status.status).toBe(403);
    }
    expect(await db.prisma.message.count({ where: { body: 'Signed for the instance' } })).toBe(0);
    expect((await db.prisma.message.findUniqueOrThrow({ where: { id: clinic.messageId } })).status).toBe('delivered');
  }, 60_000);

  it("nginx keeps the server's body limits: 1 MB for the API, IMPORT_MAX_MB for the CSV upload", async () => {
    const tooBig = await fetch(`${publicUrl}/trpc/auth.signIn`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'x'.repeat(TRPC_MAX_BODY_BYTES + 1) });
    expect(tooBig.status).toBe(413);
    // 2 MB passes nginx and reaches the upload route, which wants a session first.
    const upload = await fetch(`${publicUrl}${UPLOAD_PATH}?name=big.csv`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: 'phone\n'.repeat(350_000) });
    expect(upload.status).toBe(401);
  });

  it('a client cannot choose the address its sign-in attempts are counted under (X-Forwarded-For is replaced)', async () => {
    const res = await fetch(`${publicUrl}/trpc/auth.signIn`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.9' },
      body: JSON.stringify({ json: { email: 'guess@proxy.example', password: 'wrong password', client: 'extension' } }),
    });
    expect(res.status).toBe(401);
    const attempts = await db.prisma.loginAttempt.findMany({ where: { email: 'guess@proxy.example' } });
    expect(attempts.map((a) => a.ip)).toEqual(['127.0.0.1']);
  });
});

/** The shipped nginx file, whether or not nginx is installed here. */
describe.runIf(TEST_DB === 'postgres')('docs/scaling-out/nginx.conf', () => {
  it('is quoted in the README exactly as shipped', () => {
    const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
    expect(readme).toContain('```nginx\n' + readFileSync(SHIPPED_CONF, 'utf8') + '```');
  });

  it('keeps the body limits of server/src/http/body-limits.ts and the default IMPORT_MAX_MB', () => {
    const text = readFileSync(SHIPPED_CONF, 'utf8');
    const sizes = [...text.matchAll(/^\s*client_max_body_size (\d+)m;/gm)].map((m) => Number(m[1]) * 1024 * 1024);
    expect(sizes).toEqual([TRPC_MAX_BODY_BYTES, loadConfig({}).importMaxBytes]);
    expect(text).toMatch(/location = \/api\/imports\/patients \{[^}]*client_max_body_size 50m;/);
    expect(UPLOAD_PATH).toBe('/api/imports/patients');
  });
});
