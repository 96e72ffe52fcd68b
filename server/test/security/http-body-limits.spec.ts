import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp, startTestServer, type TestServer } from '../harness.js';

/**
 * Issue 9, item 6: a 200 MB POST to /trpc grew the process by 600 MB before a 400. Every route
 * has a limit, answered 413 before the body is buffered: on a declared Content-Length at once,
 * on a chunked body as soon as it streams past the limit.
 */
describe('request body limits', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  /**
   * POSTs `total` bytes in 64 kB chunks (chunked when no length is declared), stopping as soon
   * as an answer arrives; returns its status and how much was written by then.
   */
  function post(path: string, opts: { declared?: number; total: number; contentType?: string; token?: string }): Promise<{ status: number; written: number }> {
    const url = new URL(path, server.url);
    return new Promise((resolve, reject) => {
      let written = 0;
      let answered = false;
      const headers: Record<string, string | number> = { 'content-type': opts.contentType ?? 'application/json' };
      if (opts.declared !== undefined) headers['content-length'] = opts.declared;
      if (opts.token) headers.authorization = `Bearer ${opts.token}`;
      const req = http.request(url, { method: 'POST', headers }, (res) => {
        answered = true;
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode!, written }));
      });
      req.on('error', (error) => {
        if (!answered) reject(error);
      });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = () => {
        while (!answered && written < opts.total) {
          written += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        if (!answered && opts.declared === undefined) req.end();
      };
      pump();
    });
  }

  const healthy = async () => {
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    const user = await signUp(server);
    expect((await user.api.auth.me.query())?.user.email).toBe(user.email);
  };

  it('refuses a declared 200 MB tRPC body at once, having read almost none of it', async () => {
    const { status, written } = await post('/trpc/auth.signIn', { declared: 200 * 1024 * 1024, total: 200 * 1024 * 1024 });
    expect(status).toBe(413);
    expect(written).toBeLessThan(20 * 1024 * 1024);
    await healthy();
  });

  it('refuses a chunked tRPC body once it passes 1 MB', async () => {
    const { status, written } = await post('/trpc/auth.signIn', { total: 64 * 1024 * 1024 });
    expect(status).toBe(413);
    expect(written).toBeLessThan(64 * 1024 * 1024);
    await healthy();
  });

  it('the CSV upload keeps its own limit (IMPORT_MAX_MB, 2 MB in tests), declared or streamed', async () => {
    const user = await signUp(server);
    await user.api.orgs.create.mutate({ name: 'Upload Clinic', timeZone: 'America/Chicago' });
    const declared = await post('/api/imports/patients', { declared: 200 * 1024 * 1024, total: 200 * 1024 * 1024, contentType: 'text/csv', token: user.token });
    expect(declared.status).toBe(413);
    expect(declared.written).toBeLessThan(20 * 1024 * 1024);
    expect((await post('/api/imports/patients', { total: 64 * 1024 * 1024, contentType: 'text/csv', token: user.token })).status).toBe(413);
    await healthy();
  });

  it.each([
    ['/webhooks/twilio/inbound', 'application/x-www-form-urlencoded', 1024 * 1024],
    ['/webhooks/twilio/status', 'application/x-www-form-urlencoded', 1024 * 1024],
    ['/__twilio/__simulator/inbound', 'application/json', 1024 * 1024],
    ['/somewhere/else', 'application/json', 1024 * 1024],
  ])('refuses a declared oversize body on %s', async (path, contentType, size) => {
    expect((await post(path, { declared: size, total: size, contentType })).status).toBe(413);
  });

  it.each([
    ['/webhooks/twilio/inbound', 'application/x-www-form-urlencoded'],
    ['/webhooks/twilio/status', 'application/x-www-form-urlencoded'],
  ])('caps a chunked body on %s while it streams', async (path, contentType) => {
    const { status } = await post(path, { total: 16 * 1024 * 1024, contentType });
    expect(status).toBe(413);
    await healthy();
  });

  it('still takes a normal tRPC body and a normal upload', async () => {
    const user = await signUp(server);
    await user.api.orgs.create.mutate({ name: 'Sized Clinic', timeZone: 'America/Chicago' });
    const res = await fetch(`${server.url}/api/imports/patients?name=p.csv`, {
      method: 'POST',
      headers: { authorization: `Bearer ${user.token}`, 'content-type': 'text/csv' },
      body: 'first_name,last_name,dob,phone\nAmina,Patel,1985-03-14,+14155550100\n'.repeat(1) + 'x,y,1990-01-01,+14155550101\n'.repeat(10_000),
    });
    expect(res.status).toBe(201);
  });
});
