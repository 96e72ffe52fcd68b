import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Housekeeping } from '../src/jobs/housekeeping.js';
import { existsSync, readdirSync } from 'node:fs';
import { PASSWORD, SAMPLE_FILES, signUp, smsClinic, startTestServer, type TestServer, uploadAttachment } from './harness.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * Tables that only grow (attempt counters, expired portal devices, ended sessions) are swept of
 * rows nothing reads any more; recent ones, and live sessions, stay.
 */
describe('housekeeping', () => {
  it('deletes old attempts, expired devices and long-ended sessions; keeps what limits and sign-ins still read', async () => {
    const prisma = server.db.prisma;
    const user = await signUp(server, 'Sweep Person');
    const userId = (await user.api.auth.me.query())!.user.id;
    const at = (msAgo: number) => new Date(server.clock.now().getTime() - msAgo);
    await prisma.loginAttempt.createMany({ data: [
      { email: 'old@clinic.example', ip: '10.0.0.1', success: false, createdAt: at(2 * DAY) },
      { email: 'new@clinic.example', ip: '10.0.0.1', success: false, createdAt: at(10 * 60_000) },
    ] });
    await prisma.portalAttempt.createMany({ data: [
      { ip: '10.0.0.2', success: false, createdAt: at(3 * DAY) },
      { ip: '10.0.0.2', success: false, createdAt: at(30 * 60_000) },
    ] });
    await prisma.portalDevice.createMany({ data: [
      { orgId: 'o', patientId: 'p', tokenHash: 'expired-device', expiresAt: at(HOUR) },
      { orgId: 'o', patientId: 'p', tokenHash: 'live-device', expiresAt: at(-DAY) },
    ] });
    await prisma.session.createMany({ data: [
      { userId, tokenHash: 'expired-long-ago', kind: 'bearer', expiresAt: at(8 * DAY) },
      { userId, tokenHash: 'revoked-long-ago', kind: 'bearer', expiresAt: at(-DAY), revokedAt: at(8 * DAY) },
      { userId, tokenHash: 'expired-yesterday', kind: 'bearer', expiresAt: at(DAY) },
    ] });

    const deleted = await server.app.get(Housekeeping).sweep();
    expect(deleted).toMatchObject({ LoginAttempt: 1, PortalAttempt: 1, PortalDevice: 1, Session: 2 });
    expect((await prisma.loginAttempt.findMany()).map((a) => a.email)).not.toContain('old@clinic.example');
    expect(await prisma.loginAttempt.count({ where: { email: 'new@clinic.example' } })).toBe(1);
    expect(await prisma.portalAttempt.count({ where: { ip: '10.0.0.2' } })).toBe(1);
    expect((await prisma.portalDevice.findMany()).map((d) => d.tokenHash)).toEqual(['live-device']);
    expect((await prisma.session.findMany({ where: { userId }, orderBy: { createdAt: 'asc' } })).map((s) => s.tokenHash).filter((h) => ['expired-long-ago', 'revoked-long-ago', 'expired-yesterday'].includes(h))).toEqual(['expired-yesterday']);
    // The signed-in user's own session is untouched: they are still signed in, and can sign in again.
    expect((await user.api.auth.me.query())?.user.id).toBe(userId);
    await server.anon.auth.signIn.mutate({ email: user.email, password: PASSWORD, client: 'extension' });
    // A second sweep finds nothing more.
    expect(await server.app.get(Housekeeping).sweep()).toEqual({ LoginAttempt: 0, PortalAttempt: 0, PortalDevice: 0, Session: 0, Attachment: 0, BlastImage: 0, AnalyticsChange: 0 });
  });

  it('deletes files uploaded to a draft and never sent after a day, rows and bytes; sent files and recent drafts stay', async () => {
    const c = await smsClinic(server, '+14155556701', 'Files Sweep Clinic');
    await c.owner.api.orgs.updatePolicies.mutate({ secureLinkExpiryHours: 72, quietHoursEnabled: false, quietHoursStart: '20:00', quietHoursEnd: '08:00', smsAllowed: true, externalChatAllowed: false });
    const upload = async (name: string) => (await uploadAttachment(server, c.member.token, c.conversationId, SAMPLE_FILES.png, name)).body;
    const sent = await upload('sent.png');
    await c.member.api.conversations.send.mutate({ conversationId: c.conversationId, body: 'Your scan', channel: 'secure', attachmentIds: [sent.id] });
    const abandoned = await upload('abandoned.png');
    const recent = await upload('recent.png');
    // Uploaded a day and an hour ago (moving the clock would end the member's session).
    await server.db.prisma.attachment.updateMany({ where: { id: { in: [abandoned.id, sent.id] } }, data: { createdAt: new Date(server.clock.now().getTime() - DAY - HOUR) } });
    const files = () => readdirSync(server.attachmentsDir, { recursive: true }).filter((f) => !String(f).includes('tmp')).length;
    const before = files();
    const key = (await server.db.prisma.attachment.findUniqueOrThrow({ where: { id: abandoned.id } })).storageKey;

    const deleted = await server.app.get(Housekeeping).sweep();
    expect(deleted.Attachment).toBe(1);
    expect((await server.db.prisma.attachment.findMany({ where: { conversationId: c.conversationId } })).map((a) => a.id).sort()).toEqual([sent.id, recent.id].sort());
    expect(files()).toBe(before - 1);
    expect(readdirSync(server.attachmentsDir, { recursive: true }).some((f) => String(f).includes(key))).toBe(false);
    expect(existsSync(server.attachmentsDir)).toBe(true);
  });

  it('deletes MMS blast images no blast uses after a week, rows and bytes; images on a blast and recent ones stay', async () => {
    const c = await smsClinic(server, '+14155556702', 'Images Sweep Clinic');
    const cohortId = (await c.owner.api.cohorts.create.mutate({ name: 'All', filter: {} })).id;
    const upload = async (name: string) =>
      ((await (await fetch(`${server.url}/api/blast-images?name=${name}`, { method: 'POST', headers: { authorization: `Bearer ${c.member.token}`, 'content-type': 'application/octet-stream' }, body: SAMPLE_FILES.png })).json()) as { id: string });
    const used = await upload('used.png');
    const unused = await upload('unused.png');
    const recent = await upload('recent.png');
    await c.member.api.blasts.send.mutate({ teamId: c.team.id, cohortIds: [cohortId], body: 'Flyer', marketing: false, idempotencyKey: 'sweep-images-1', imageIds: [used.id] });
    await server.db.prisma.blastImage.updateMany({ where: { id: { in: [used.id, unused.id] } }, data: { createdAt: new Date(server.clock.now().getTime() - 7 * DAY - HOUR) } });
    const key = (await server.db.prisma.blastImage.findUniqueOrThrow({ where: { id: unused.id } })).storageKey;

    expect((await server.app.get(Housekeeping).sweep()).BlastImage).toBe(1);
    expect((await server.db.prisma.blastImage.findMany({ where: { id: { in: [used.id, unused.id, recent.id] } } })).map((i) => i.id).sort()).toEqual([used.id, recent.id].sort());
    expect(readdirSync(server.attachmentsDir, { recursive: true }).some((f) => String(f).includes(key))).toBe(false);
  });
});
