import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { joinAs, smsClinic, startTestServer, type TestServer } from '../harness.js';

/**
 * conversations.bulkEvents (a blast's conversations, by id): signed out, nothing; a team the
 * caller is not on, or another org's, refused; a member of the org on another team (or on no
 * team) never hears of the team's blast, and a member removed from the team stops hearing at once.
 */

let server: TestServer;
let a: Awaited<ReturnType<typeof smsClinic>>;
let b: Awaited<ReturnType<typeof smsClinic>>;

type Handlers = { onStarted?: () => void; onData: (e: unknown) => void; onError?: (error: unknown) => void };
/** The first error code of a subscription (or 'DATA' if it delivered something first). */
function refusal(subscribe: (h: Handlers) => { unsubscribe(): void }): Promise<string> {
  return new Promise((resolve) => {
    const sub = subscribe({ onData: () => (sub.unsubscribe(), resolve('DATA')), onError: (error) => (sub.unsubscribe(), resolve((error as { data?: { code?: string } }).data?.code ?? 'ERROR')) });
  });
}
function watch(subscribe: (h: Handlers) => { unsubscribe(): void }) {
  const seen: { type: string; teamId?: string; conversationIds?: string[] }[] = [];
  let started!: () => void;
  const ready = new Promise<void>((resolve) => (started = resolve));
  const sub = subscribe({ onStarted: () => started(), onData: (e) => seen.push(e as (typeof seen)[number]) });
  return { seen, ready, stop: () => sub.unsubscribe() };
}

beforeAll(async () => {
  server = await startTestServer();
  a = await smsClinic(server, '+14155550801', 'Bulk Sec A');
  b = await smsClinic(server, '+14155550802', 'Bulk Sec B');
});
afterAll(async () => {
  await server?.stop();
});

describe('live blast events: who hears of them', () => {
  it('signed out, another team and another org are refused a team scoped stream', async () => {
    expect(await refusal((h) => server.anon.conversations.bulkEvents.subscribe({}, h))).toBe('UNAUTHORIZED');
    expect(await refusal((h) => a.admin.api.conversations.bulkEvents.subscribe({ teamId: a.team.id }, h))).toBe('FORBIDDEN'); // an admin, not on Front Desk
    expect(['FORBIDDEN', 'NOT_FOUND']).toContain(await refusal((h) => b.member.api.conversations.bulkEvents.subscribe({ teamId: a.team.id }, h)));
  });

  it("another team's member, a member on no team and another org get no event of the team's blast; a removed member stops at once", async () => {
    const plain = await joinAs(server, a.owner, 'member', 'No Team');
    const leaving = await joinAs(server, a.owner, 'member', 'Leaving Member');
    const leavingId = (await leaving.api.auth.me.query())!.user.id;
    await a.owner.api.teams.addMember.mutate({ teamId: a.team.id, userId: leavingId });
    const streams = {
      team: watch((h) => a.member.api.conversations.bulkEvents.subscribe({}, h)),
      admin: watch((h) => a.admin.api.conversations.bulkEvents.subscribe({}, h)),
      plain: watch((h) => plain.api.conversations.bulkEvents.subscribe({}, h)),
      otherOrg: watch((h) => b.member.api.conversations.bulkEvents.subscribe({}, h)),
      leaving: watch((h) => leaving.api.conversations.bulkEvents.subscribe({ teamId: a.team.id }, h)),
    };
    await Promise.all(Object.values(streams).map((s) => s.ready));
    await a.member.api.blasts.send.mutate({ teamId: a.team.id, patientIds: [a.patient.id], body: 'Clinic closed Friday', marketing: false, idempotencyKey: 'bulk-sec-0001' });
    await expect.poll(() => streams.team.seen.length).toBe(1);
    await expect.poll(() => streams.leaving.seen.length).toBe(1);
    expect(streams.team.seen[0]).toEqual({ type: 'conversations.changed', teamId: a.team.id, conversationIds: [a.conversationId] });

    await a.owner.api.teams.removeMember.mutate({ teamId: a.team.id, userId: leavingId });
    await expect.poll(() => streams.leaving.seen.at(-1)?.type).toBe('access.revoked');
    // A later blast (and B's own, which B's member hears: the sentinel that A's events were delivered by now).
    await a.member.api.blasts.send.mutate({ teamId: a.team.id, patientIds: [a.patient.id], body: 'Clinic open Saturday', marketing: false, idempotencyKey: 'bulk-sec-0002' });
    await expect.poll(() => streams.team.seen.length).toBe(2);
    await b.member.api.blasts.send.mutate({ teamId: b.team.id, patientIds: [b.patient.id], body: 'B news', marketing: false, idempotencyKey: 'bulk-sec-0003' });
    await expect.poll(() => streams.otherOrg.seen.length).toBe(1);

    expect(streams.otherOrg.seen).toEqual([{ type: 'conversations.changed', teamId: b.team.id, conversationIds: [b.conversationId] }]);
    expect(streams.admin.seen).toEqual([]);
    expect(streams.plain.seen).toEqual([]);
    expect(streams.leaving.seen.map((e) => e.type)).toEqual(['conversations.changed', 'access.revoked']);
    for (const s of Object.values(streams)) s.stop();
  });

  it('the inbox stream with `bulk` (what the web app opens) carries the same bulk changes to the same people; without it, none', async () => {
    const plain = await joinAs(server, a.owner, 'member', 'No Team Either');
    const bulkOnly = (seen: { type: string }[]) => seen.filter((e) => e.type === 'conversations.changed');
    const streams = {
      team: watch((h) => a.member.api.conversations.events.subscribe({ bulk: true }, h)),
      teamScoped: watch((h) => a.member.api.conversations.events.subscribe({ teamId: a.team.id, bulk: true }, h)),
      teamWithout: watch((h) => a.member.api.conversations.events.subscribe({}, h)),
      admin: watch((h) => a.admin.api.conversations.events.subscribe({ bulk: true }, h)),
      plain: watch((h) => plain.api.conversations.events.subscribe({ bulk: true }, h)),
      otherOrg: watch((h) => b.member.api.conversations.events.subscribe({ bulk: true }, h)),
    };
    await Promise.all(Object.values(streams).map((s) => s.ready));
    await a.member.api.blasts.send.mutate({ teamId: a.team.id, patientIds: [a.patient.id], body: 'Flu clinic Monday', marketing: false, idempotencyKey: 'bulk-sec-0004' });
    await expect.poll(() => bulkOnly(streams.team.seen).length).toBe(1);
    await expect.poll(() => bulkOnly(streams.teamScoped.seen).length).toBe(1);
    expect(bulkOnly(streams.team.seen)[0]).toEqual({ type: 'conversations.changed', teamId: a.team.id, conversationIds: [a.conversationId] });
    // B's own blast: the sentinel that A's events were delivered by now.
    await b.member.api.blasts.send.mutate({ teamId: b.team.id, patientIds: [b.patient.id], body: 'B flu clinic', marketing: false, idempotencyKey: 'bulk-sec-0005' });
    await expect.poll(() => bulkOnly(streams.otherOrg.seen).length).toBe(1);
    expect(bulkOnly(streams.otherOrg.seen)[0]).toMatchObject({ teamId: b.team.id });
    expect(bulkOnly(streams.teamWithout.seen)).toEqual([]);
    expect(bulkOnly(streams.admin.seen)).toEqual([]);
    expect(streams.plain.seen).toEqual([]);
    for (const s of Object.values(streams)) s.stop();
  });
});
