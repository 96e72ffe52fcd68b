import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { hashToken } from '../src/auth/tokens.js';
import { type ApiClient, errorOf, joinAs, PASSWORD, smsClinic, startTestServer, type TestServer, uniqueEmail, waitFor } from './harness.js';

/**
 * Issue 12, external collaborators (seed 003): an email address typed into an internal chat's
 * To field is invited by the first message sent (once), Get started makes a seat-free
 * 'external' member who lands in the conversation, and they reach only the people allowed.
 */
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

type Clinic = Awaited<ReturnType<typeof smsClinic>>;

let server: TestServer;
let clinic: Clinic;
let lee: Awaited<ReturnType<typeof joinAs>>;
const ids: Record<string, string> = {};
const partner = uniqueEmail('partner');

const me = async (api: ApiClient) => (await api.auth.me.query())!.user;
const mailsTo = (email: string) => server.db.prisma.devMail.findMany({ where: { to: email }, orderBy: { createdAt: 'asc' } });

/** The Get started token in the newest invitation mailed to `email`. */
async function getStartedToken(email: string): Promise<string> {
  const mail = await waitFor(() => server.db.prisma.devMail.findFirst({ where: { to: email, subject: { contains: 'sent you a message' } }, orderBy: { createdAt: 'desc' } }));
  const match = /\/external\/([A-Za-z0-9_-]+)/.exec(mail.text);
  if (!match) throw new Error(`no Get started link in mail to ${email}`);
  return match[1]!;
}

async function allowExternalChat(api: ApiClient, allowed: boolean) {
  const { policies } = await api.orgs.current.query();
  await api.orgs.updatePolicies.mutate({ ...policies!, externalChatAllowed: allowed });
}

beforeAll(async () => {
  server = await startTestServer();
  clinic = await smsClinic(server, '+14155550180', 'Referring Clinic');
  lee = await joinAs(server, clinic.owner, 'member', 'Dr Lee');
  ids.member = (await me(clinic.member.api)).id;
  ids.lee = (await me(lee.api)).id;
});
afterAll(async () => {
  await server?.stop();
});

describe('external collaborators', () => {
  it('a new org allows external chat (the documented default); once an admin turns it off, an address outside the org is refused', async () => {
    expect((await clinic.member.api.orgs.current.query()).policies?.externalChatAllowed).toBe(true);
    await allowExternalChat(clinic.owner.api, false);
    const refused = await errorOf(clinic.member.api.conversations.startInternal.mutate({ userIds: [], emails: [partner] }));
    expect(refused).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('Allow external chat') });
    expect(await server.db.prisma.externalInvite.count()).toBe(0);
  });

  it('typing the address stores a pending invitation and sends nothing', async () => {
    await allowExternalChat(clinic.owner.api, true);
    const started = await clinic.member.api.conversations.startInternal.mutate({ userIds: [], emails: [partner.toUpperCase()] });
    expect(started.created).toBe(true);
    ids.chat = started.conversationId;
    // The same address again finds the same conversation.
    expect(await clinic.member.api.conversations.startInternal.mutate({ userIds: [], emails: [partner] })).toEqual({ conversationId: ids.chat, created: false });
    const invite = await server.db.prisma.externalInvite.findFirstOrThrow({ where: { conversationId: ids.chat } });
    expect(invite).toMatchObject({ email: partner, sentAt: null, tokenHash: null });
    expect(await mailsTo(partner)).toEqual([]);
    const open = await clinic.member.api.conversations.get.query({ conversationId: ids.chat });
    expect(open.invited).toEqual([{ email: partner, sent: false, expired: false }]);
  });

  it('the first message sends the invitation email once; a second message sends nothing more', async () => {
    await clinic.member.api.conversations.send.mutate({ conversationId: ids.chat!, channel: 'secure', body: 'Referral for Ms Patel: can you see her this week?' });
    const token = await getStartedToken(partner);
    await clinic.member.api.conversations.send.mutate({ conversationId: ids.chat!, channel: 'secure', body: 'Thanks in advance' });
    // Both sends have returned, and any mail is written before send returns: still one.
    const mails = await mailsTo(partner);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toContain('Referring Clinic');
    // The message text never travels by email; only the token's hash is stored.
    expect(mails[0]!.text).not.toContain('Ms Patel');
    const invite = await server.db.prisma.externalInvite.findFirstOrThrow({ where: { conversationId: ids.chat } });
    expect(invite.tokenHash).toBe(hashToken(token));
    expect(JSON.stringify(await server.db.prisma.externalInvite.findMany())).not.toContain(token);
    expect(await server.db.prisma.auditEvent.count({ where: { action: 'external.invited', targetId: ids.chat } })).toBe(1);
    ids.token = token;
  });

  it('Get started: a short setup creates a seat-free external member who lands in the conversation', async () => {
    const seatsBefore = (await clinic.owner.api.plan.get.query()).seats;
    const subscriptionBefore = await server.db.prisma.subscription.findUniqueOrThrow({ where: { orgId: clinic.org.id } });
    const info = await server.anon.external.info.query({ token: ids.token! });
    expect(info).toMatchObject({ orgName: 'Referring Clinic', email: partner, hasAccount: false, expired: false, accepted: false });

    const joined = await server.anon.external.setUp.mutate({ token: ids.token!, name: 'Dr Partner', password: PASSWORD, client: 'extension' });
    expect(joined.conversationId).toBe(ids.chat);
    const external = server.as(joined.token!);
    ids.externalToken = joined.token!;
    const user = await me(external);
    ids.external = user.id;
    expect(await server.db.prisma.membership.findUniqueOrThrow({ where: { orgId_userId: { orgId: clinic.org.id, userId: user.id } } })).toMatchObject({ role: 'external' });

    // Lands in the conversation: it is their inbox, with the messages sent before they joined.
    const list = await external.conversations.list.query({});
    expect(list.conversations.map((c) => c.id)).toEqual([ids.chat]);
    const thread = await external.conversations.get.query({ conversationId: ids.chat! });
    expect(thread.messages.map((m) => m.body)).toEqual(['Referral for Ms Patel: can you see her this week?', 'Thanks in advance']);
    // Everyone sees them marked as external; the pending invitation is gone.
    const seen = await clinic.member.api.conversations.get.query({ conversationId: ids.chat! });
    expect(seen.participants!.find((p) => p.id === user.id)).toMatchObject({ name: 'Dr Partner', email: partner, external: true });
    expect(seen.participants!.find((p) => p.id === ids.member)).toMatchObject({ external: false });
    expect(seen.invited).toEqual([]);
    // They reply in it.
    await external.conversations.send.mutate({ conversationId: ids.chat!, channel: 'secure', body: 'Yes, Thursday works.' });
    expect((await clinic.member.api.conversations.get.query({ conversationId: ids.chat! })).messages.at(-1)).toMatchObject({ body: 'Yes, Thursday works.' });

    // Not a seat: the plan's count and the billed subscription are unchanged.
    expect((await clinic.owner.api.plan.get.query()).seats).toBe(seatsBefore);
    expect((await server.db.prisma.subscription.findUniqueOrThrow({ where: { orgId: clinic.org.id } })).seats).toBe(subscriptionBefore.seats);
  });

  it('an external collaborator starts chats only with the people they already talk to', async () => {
    const external = server.as(ids.externalToken!);
    const reachable = await external.conversations.colleagues.query({});
    expect(reachable.map((c) => c.id)).toEqual([ids.member]);
    // The same people: the conversation they already have.
    expect(await external.conversations.startInternal.mutate({ userIds: [ids.member!] })).toEqual({ conversationId: ids.chat, created: false });
    // Dr Lee, a member they never talked to: as if not there.
    expect((await errorOf(external.conversations.startInternal.mutate({ userIds: [ids.lee!] }))).code).toBe('NOT_FOUND');
    // Inviting more outsiders by email is the org's members' to do.
    expect((await errorOf(external.conversations.startInternal.mutate({ userIds: [ids.member!], emails: [uniqueEmail('friend')] }))).code).toBe('FORBIDDEN');
    // Staff see them among colleagues, marked.
    expect((await lee.api.conversations.colleagues.query({ query: 'Partner' }))[0]).toMatchObject({ id: ids.external, external: true });
  });

  it('someone with an account signs in to accept, and can then chat with colleagues of their own org', async () => {
    const home = await smsClinic(server, '+14155550181', 'Partner Hospital');
    const homeMember = await me(home.member.api);
    const homeOwner = await me(home.owner.api);
    // Lee invites the partner hospital's owner in one chat and its member in another.
    const invite = async (email: string) => {
      const { conversationId } = await lee.api.conversations.startInternal.mutate({ userIds: [], emails: [email] });
      await lee.api.conversations.send.mutate({ conversationId, channel: 'secure', body: 'Hello from Referring Clinic' });
      return { conversationId, token: await getStartedToken(email) };
    };
    const forOwner = await invite(homeOwner.email);
    const forMember = await invite(homeMember.email);
    expect((await server.anon.external.info.query({ token: forMember.token })).hasAccount).toBe(true);
    expect((await errorOf(server.anon.external.setUp.mutate({ token: forMember.token, name: 'X', password: PASSWORD }))).code).toBe('CONFLICT');
    // Someone else's session cannot take the invitation.
    expect((await errorOf(home.owner.api.external.accept.mutate({ token: forMember.token }))).code).toBe('FORBIDDEN');
    expect(await home.owner.api.external.accept.mutate({ token: forOwner.token })).toEqual({ conversationId: forOwner.conversationId });
    expect(await home.member.api.external.accept.mutate({ token: forMember.token })).toEqual({ conversationId: forMember.conversationId });
    // Their session moved to the inviting org, as an external member there; their own org is untouched.
    expect((await home.member.api.orgs.current.query()).myRole).toBe('external');
    expect((await server.db.prisma.membership.findUniqueOrThrow({ where: { orgId_userId: { orgId: home.org.id, userId: homeMember.id } } })).role).toBe('member');

    // A colleague from their own org (also in this org), whom they share no chat with here: reachable.
    const reachable = (await home.member.api.conversations.colleagues.query({})).map((c) => c.id).sort();
    expect(reachable).toEqual([ids.lee, homeOwner.id].sort());
    const started = await home.member.api.conversations.startInternal.mutate({ userIds: [homeOwner.id] });
    expect(started.created).toBe(true);
    expect((await home.owner.api.conversations.list.query({})).conversations.map((c) => c.id)).toContain(started.conversationId);
  });
  it('a used link is refused, and so is an expired one (last: moving the clock ends every session)', async () => {
    expect(await errorOf(server.anon.external.setUp.mutate({ token: ids.token!, name: 'Again', password: PASSWORD }))).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('already used') });
    expect((await server.anon.external.info.query({ token: ids.token! })).accepted).toBe(true);

    const late = uniqueEmail('late');
    const { conversationId } = await clinic.member.api.conversations.startInternal.mutate({ userIds: [], emails: [late] });
    await clinic.member.api.conversations.send.mutate({ conversationId, channel: 'secure', body: 'Hello' });
    const token = await getStartedToken(late);
    server.clock.advance(8 * 86_400_000);
    expect((await server.anon.external.info.query({ token })).expired).toBe(true);
    expect(await errorOf(server.anon.external.setUp.mutate({ token, name: 'Late', password: PASSWORD }))).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('expired') });
    expect(await server.db.prisma.user.count({ where: { email: late } })).toBe(0);
    expect(await errorOf(server.anon.external.info.query({ token: 'not-a-real-token-at-all' }))).toMatchObject({ code: 'NOT_FOUND' });
  });
});
