import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, joinAs, smsClinic, startTestServer, type TestServer, waitFor } from '../harness.js';

/**
 * CSV broadcast: members of the number's team only. Signed out: nothing. A member of the org off
 * the team: FORBIDDEN. Another org: its team and its broadcasts are NOT_FOUND; nothing is
 * written, imported or sent.
 */

let server: TestServer;
let a: Awaited<ReturnType<typeof smsClinic>>;
let b: Awaited<ReturnType<typeof smsClinic>>;
let broadcastB: string;
const CSV = Buffer.from('phone,first_name,last_name\n4155550611,Bea,Bond\n').toString('base64');

beforeAll(async () => {
  server = await startTestServer();
  a = await smsClinic(server, '+14155550601', 'Broadcast Sec A');
  b = await smsClinic(server, '+14155550602', 'Broadcast Sec B');
  broadcastB = (await b.member.api.csvBroadcasts.upload.mutate({ teamId: b.team.id, fileName: 'b.csv', content: CSV })).broadcastId;
  await waitFor(async () => ((await b.member.api.csvBroadcasts.get.query({ teamId: b.team.id, broadcastId: broadcastB })).status === 'ready' ? true : null), 2000);
});
afterAll(async () => {
  await server?.stop();
});

const written = async () => [await server.db.prisma.csvBroadcast.count(), await server.db.prisma.importJob.count(), await server.db.prisma.message.count()];

describe('CSV broadcast: access', () => {
  it('a signed-out caller can do nothing', async () => {
    const anon = server.anon.csvBroadcasts;
    for (const call of [
      () => anon.upload.mutate({ teamId: b.team.id, fileName: 'x.csv', content: CSV }),
      () => anon.get.query({ teamId: b.team.id, broadcastId: broadcastB }),
      () => anon.send.mutate({ teamId: b.team.id, broadcastId: broadcastB, body: 'x' }),
    ]) {
      expect((await errorOf(call())).code).toBe('UNAUTHORIZED');
    }
  });

  it("another org's team and broadcasts are NOT_FOUND; nothing is written or sent", async () => {
    const before = await written();
    const api = a.member.api.csvBroadcasts;
    expect((await errorOf(api.upload.mutate({ teamId: b.team.id, fileName: 'x.csv', content: CSV }))).code).toBe('NOT_FOUND');
    expect((await errorOf(api.get.query({ teamId: b.team.id, broadcastId: broadcastB }))).code).toBe('NOT_FOUND');
    // Its own team, the other org's broadcast id: not found either (no file name or patients leak).
    expect((await errorOf(api.get.query({ teamId: a.team.id, broadcastId: broadcastB }))).code).toBe('NOT_FOUND');
    expect((await errorOf(api.send.mutate({ teamId: a.team.id, broadcastId: broadcastB, body: 'x' }))).code).toBe('NOT_FOUND');
    expect(await written()).toEqual(before);
    expect((await server.db.prisma.csvBroadcast.findUniqueOrThrow({ where: { id: broadcastB } })).status).toBe('ready');
  });

  it('a member of the org who is not on the number\'s team is FORBIDDEN, even an admin', async () => {
    const before = await written();
    for (const role of ['member', 'admin'] as const) {
      const outsider = await joinAs(server, b.owner, role, `Off-team ${role}`);
      const api = outsider.api.csvBroadcasts;
      expect((await errorOf(api.upload.mutate({ teamId: b.team.id, fileName: 'x.csv', content: CSV }))).code).toBe('FORBIDDEN');
      expect((await errorOf(api.get.query({ teamId: b.team.id, broadcastId: broadcastB }))).code).toBe('FORBIDDEN');
      expect((await errorOf(api.send.mutate({ teamId: b.team.id, broadcastId: broadcastB, body: 'x' }))).code).toBe('FORBIDDEN');
    }
    expect(await written()).toEqual(before);
  });
});
