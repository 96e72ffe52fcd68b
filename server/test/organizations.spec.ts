import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, inviteTokenFor, joinAs, orgWithStaff, signUp, startTestServer, type TestServer, uniqueEmail } from './harness.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});

describe('organizations', () => {
  it('makes the creator the owner and the new org active', async () => {
    const user = await signUp(server);
    const org = await user.api.orgs.create.mutate({ name: 'Lakeside Pediatrics', timeZone: 'America/Denver' });
    const me = await user.api.auth.me.query();
    expect(me?.activeOrgId).toBe(org.id);
    expect(me?.orgs).toEqual([{ id: org.id, name: 'Lakeside Pediatrics', role: 'owner' }]);
    const current = await user.api.orgs.current.query();
    expect(current).toMatchObject({ name: 'Lakeside Pediatrics', timeZone: 'America/Denver', plan: 'free', myRole: 'owner' });
  });

  it('rejects an unknown time zone', async () => {
    const user = await signUp(server);
    const err = await errorOf(user.api.orgs.create.mutate({ name: 'Bad Zone Clinic', timeZone: 'Mars/Olympus' }));
    expect(err.message).toContain('Unknown time zone');
  });

  it('admins change settings and policies, members cannot, and each change is audited', async () => {
    const { owner, member } = await orgWithStaff(server, 'Policy Clinic');
    await owner.api.orgs.update.mutate({ name: 'Policy Clinic West', timeZone: 'America/Los_Angeles' });
    const policies = {
      secureLinkExpiryHours: 48,
      quietHoursEnabled: true,
      quietHoursStart: '21:00',
      quietHoursEnd: '07:30',
      smsAllowed: false,
      externalChatAllowed: true,
    };
    await owner.api.orgs.updatePolicies.mutate(policies);
    expect((await member.api.orgs.current.query()).policies).toEqual({ ...policies, idleTimeoutMinutes: 30 });
    expect((await errorOf(member.api.orgs.updatePolicies.mutate(policies))).code).toBe('FORBIDDEN');
    expect((await errorOf(member.api.orgs.update.mutate({ name: 'Hijack', timeZone: 'UTC' }))).code).toBe('FORBIDDEN');
    const bad = await errorOf(owner.api.orgs.updatePolicies.mutate({ ...policies, quietHoursStart: '25:00' }));
    expect(bad.message).toContain('HH:MM');
    const { events } = await owner.api.audit.list.query({ action: 'policy.changed' });
    expect(events).toHaveLength(1);
    expect(events[0]!.summary).toContain('secureLinkExpiryHours: 72 -> 48');
    expect(events[0]!.summary).toContain('smsAllowed: true -> false');
  });
});

describe('invites', () => {
  it('an invited person signs up from the emailed link and joins with the invited role', async () => {
    const { owner } = await orgWithStaff(server, 'Invite Clinic');
    const email = uniqueEmail('invitee');
    await owner.api.members.invite.mutate({ email, role: 'admin' });
    const token = await inviteTokenFor(server, email);
    const info = await server.anon.auth.inviteInfo.query({ token });
    expect(info).toMatchObject({ orgName: 'Invite Clinic', email, role: 'admin', expired: false, accepted: false });
    const invitee = await signUp(server, 'Ivy Invitee', email);
    await invitee.api.auth.acceptInvite.mutate({ token });
    expect((await invitee.api.orgs.current.query()).myRole).toBe('admin');
    expect((await errorOf(invitee.api.auth.acceptInvite.mutate({ token }))).message).toContain('already used');
    const actions = (await owner.api.audit.list.query({})).events.map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['member.invited', 'invite.accepted']));
  });

  it('an invite can only be accepted by the email it was sent to', async () => {
    const { owner } = await orgWithStaff(server);
    const email = uniqueEmail();
    await owner.api.members.invite.mutate({ email, role: 'member' });
    const token = await inviteTokenFor(server, email);
    const stranger = await signUp(server);
    const err = await errorOf(stranger.api.auth.acceptInvite.mutate({ token }));
    expect(err.code).toBe('FORBIDDEN');
    expect(err.message).toContain(email);
  });

  it('a revoked or re-sent invite link stops working; an expired one says so', async () => {
    const { owner } = await orgWithStaff(server);
    const email = uniqueEmail();
    await owner.api.members.invite.mutate({ email, role: 'member' });
    const first = await inviteTokenFor(server, email);
    await owner.api.members.invite.mutate({ email, role: 'member' });
    const second = await inviteTokenFor(server, email);
    expect(second).not.toBe(first);
    expect((await errorOf(server.anon.auth.inviteInfo.query({ token: first }))).code).toBe('NOT_FOUND');
    const [pending] = await owner.api.members.invites.query();
    await owner.api.members.revokeInvite.mutate({ inviteId: pending!.id });
    expect((await errorOf(server.anon.auth.inviteInfo.query({ token: second }))).code).toBe('NOT_FOUND');

    const later = uniqueEmail();
    await owner.api.members.invite.mutate({ email: later, role: 'member' });
    const third = await inviteTokenFor(server, later);
    server.clock.advance(8 * 86_400_000);
    const user = await signUp(server, 'Late', later);
    expect((await errorOf(user.api.auth.acceptInvite.mutate({ token: third }))).message).toContain('expired');
  });

  it('inviting someone who is already a member is refused', async () => {
    const { owner, member } = await orgWithStaff(server);
    expect((await errorOf(owner.api.members.invite.mutate({ email: member.email, role: 'member' }))).code).toBe('CONFLICT');
  });
});

describe('join requests', () => {
  it('a coworker asks to join with the code; an admin approves, another request is rejected', async () => {
    const { owner, admin, member } = await orgWithStaff(server, 'Join Clinic');
    const { joinCode } = await admin.api.orgs.joinCode.query();
    expect((await errorOf(member.api.orgs.joinCode.query())).code).toBe('FORBIDDEN');

    const asker = await signUp(server, 'Asha Asker');
    const pending = await asker.api.orgs.requestToJoin.mutate({ joinCode: joinCode.toLowerCase(), message: 'New MA at front desk' });
    expect(pending).toEqual({ orgName: 'Join Clinic', status: 'pending' });
    expect((await errorOf(asker.api.orgs.current.query())).code).toBe('PRECONDITION_FAILED');
    expect((await errorOf(member.api.members.joinRequests.query())).code).toBe('FORBIDDEN');
    expect((await errorOf(member.api.members.decideJoinRequest.mutate({ requestId: 'x', decision: 'approve' }))).code).toBe('FORBIDDEN');

    const [request] = await admin.api.members.joinRequests.query();
    expect(request).toMatchObject({ user: { name: 'Asha Asker' }, message: 'New MA at front desk' });
    await admin.api.members.decideJoinRequest.mutate({ requestId: request!.id, decision: 'approve' });
    const me = await asker.api.auth.me.query();
    expect(me?.orgs.map((o) => o.name)).toEqual(['Join Clinic']);

    const rejected = await signUp(server, 'Randy Rejected');
    await rejected.api.orgs.requestToJoin.mutate({ joinCode });
    const [second] = await owner.api.members.joinRequests.query();
    await owner.api.members.decideJoinRequest.mutate({ requestId: second!.id, decision: 'reject' });
    expect((await rejected.api.auth.me.query())?.orgs).toEqual([]);
    expect((await rejected.api.orgs.myJoinRequests.query())[0]).toMatchObject({ orgName: 'Join Clinic', status: 'rejected' });
    const actions = (await owner.api.audit.list.query({})).events.map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['join.requested', 'join.approved', 'join.rejected']));
  });

  it('an unknown join code gets a clear error', async () => {
    const user = await signUp(server);
    const err = await errorOf(user.api.orgs.requestToJoin.mutate({ joinCode: 'NOPE2345' }));
    expect(err).toMatchObject({ code: 'NOT_FOUND' });
    expect(err.message).toContain('join code');
  });
});

describe('roles and removal', () => {
  it('admins change roles; members cannot; only an owner touches the owner role', async () => {
    const { owner, admin, member } = await orgWithStaff(server, 'Role Clinic');
    const list = await owner.api.members.list.query();
    const byEmail = (email: string) => list.find((m) => m.user.email === email)!;
    expect((await errorOf(member.api.members.changeRole.mutate({ membershipId: byEmail(admin.email).id, role: 'member' }))).code).toBe('FORBIDDEN');
    await admin.api.members.changeRole.mutate({ membershipId: byEmail(member.email).id, role: 'admin' });
    expect((await member.api.orgs.current.query()).myRole).toBe('admin');
    expect((await errorOf(admin.api.members.changeRole.mutate({ membershipId: byEmail(owner.email).id, role: 'member' }))).code).toBe('FORBIDDEN');
    expect((await errorOf(admin.api.members.changeRole.mutate({ membershipId: byEmail(member.email).id, role: 'owner' }))).code).toBe('FORBIDDEN');
    expect((await errorOf(admin.api.members.changeRole.mutate({ membershipId: byEmail(admin.email).id, role: 'member' }))).message).toContain('your own role');
    const audit = await owner.api.audit.list.query({ action: 'member.role_changed' });
    expect(audit.events[0]!.summary).toBe(`Changed ${member.email} from member to admin`);
  });

  it('the last owner cannot be demoted or leave', async () => {
    const { owner, admin } = await orgWithStaff(server);
    expect((await errorOf(owner.api.members.leave.mutate())).message).toContain('at least one owner');
    const list = await owner.api.members.list.query();
    await owner.api.members.changeRole.mutate({ membershipId: list.find((m) => m.user.email === admin.email)!.id, role: 'owner' });
    await owner.api.members.leave.mutate();
    expect((await admin.api.orgs.current.query()).myRole).toBe('owner');
  });

  it("a removed member's token stops working for the org at once, and their live subscription ends", async () => {
    const { owner, member } = await orgWithStaff(server, 'Removal Clinic');
    const teams = await owner.api.teams.create.mutate({ name: 'Front Desk' });
    const memberId = (await owner.api.members.list.query()).find((m) => m.user.email === member.email)!.id;
    const memberUserId = (await member.api.auth.me.query())!.user.id;
    await owner.api.teams.addMember.mutate({ teamId: teams.id, userId: memberUserId });

    const received: string[] = [];
    const ended = new Promise<void>((resolve) => {
      const sub = member.api.orgs.events.subscribe(undefined, {
        onStarted: () => void owner.api.teams.rename.mutate({ teamId: teams.id, name: 'Front Desk East' }),
        onData: (event) => {
          received.push(event.type);
          if (event.type === 'teams.changed') void owner.api.members.remove.mutate({ membershipId: memberId });
          if (event.type === 'access.revoked') {
            sub.unsubscribe();
            resolve();
          }
        },
      });
    });
    await ended;
    expect(received).toEqual(['teams.changed', 'access.revoked']);

    const err = await errorOf(member.api.teams.list.query());
    expect(err).toEqual({ code: 'FORBIDDEN', message: 'You are no longer a member of this organization.' });
    expect((await owner.api.teams.list.query())[0]!.members.map((m) => m.email)).not.toContain(member.email);
    const audit = await owner.api.audit.list.query({ action: 'member.removed' });
    expect(audit.events[0]!.summary).toBe(`Removed ${member.email}`);
  });
});

describe('teams', () => {
  it('admins create, rename, staff and delete teams; names are unique per org', async () => {
    const { owner, member } = await orgWithStaff(server);
    const team = await owner.api.teams.create.mutate({ name: 'Nursing' });
    expect((await errorOf(owner.api.teams.create.mutate({ name: 'Nursing' }))).code).toBe('CONFLICT');
    expect((await errorOf(member.api.teams.create.mutate({ name: 'Rogue' }))).code).toBe('FORBIDDEN');
    const memberUserId = (await member.api.auth.me.query())!.user.id;
    await owner.api.teams.addMember.mutate({ teamId: team.id, userId: memberUserId });
    await owner.api.teams.rename.mutate({ teamId: team.id, name: 'Nursing Pod A' });
    const seen = await member.api.teams.list.query();
    expect(seen).toEqual([expect.objectContaining({ name: 'Nursing Pod A', isMine: true })]);
    await owner.api.teams.removeMember.mutate({ teamId: team.id, userId: memberUserId });
    expect((await member.api.teams.list.query())[0]!.isMine).toBe(false);
    await owner.api.teams.delete.mutate({ teamId: team.id });
    expect(await owner.api.teams.list.query()).toEqual([]);
    const actions = (await owner.api.audit.list.query({})).events.map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['team.created', 'team.member_added', 'team.renamed', 'team.member_removed', 'team.deleted']));
  });

  it('a user who is not in the org cannot be added to a team', async () => {
    const { owner } = await orgWithStaff(server);
    const team = await owner.api.teams.create.mutate({ name: 'Billing' });
    const outsider = await signUp(server);
    const outsiderId = (await outsider.api.auth.me.query())!.user.id;
    expect((await errorOf(owner.api.teams.addMember.mutate({ teamId: team.id, userId: outsiderId }))).code).toBe('NOT_FOUND');
  });
});

describe('plan', () => {
  it('is for admins only; checkout records the subscription with seats, once, and downgrade turns SMS off', async () => {
    const { owner, admin, member } = await orgWithStaff(server, 'Plan Clinic');
    expect((await errorOf(member.api.plan.get.query())).code).toBe('FORBIDDEN');
    expect((await errorOf(member.api.plan.checkout.mutate({ plan: 'sms' }))).code).toBe('FORBIDDEN');
    const before = await admin.api.plan.get.query();
    expect(before).toMatchObject({ plan: 'free', smsEnabled: false, seats: 3, subscription: null });

    const [a, b] = await Promise.all([admin.api.plan.checkout.mutate({ plan: 'sms' }), admin.api.plan.checkout.mutate({ plan: 'sms' })]);
    expect(a.subscription).toMatchObject({ plan: 'sms', seats: 3, pricePerSeatCents: 3000, monthlyTotalCents: 9000 });
    expect(b.plan).toBe('sms');
    expect(await server.db.prisma.subscription.count({ where: { orgId: (await owner.api.orgs.current.query()).id } })).toBe(1);
    expect((await member.api.orgs.current.query()).smsEnabled).toBe(true);

    await joinAs(server, owner, 'member');
    expect((await admin.api.plan.get.query()).subscription?.seats).toBe(4);

    await owner.api.plan.cancel.mutate();
    expect(await owner.api.plan.get.query()).toMatchObject({ plan: 'free', smsEnabled: false, subscription: null });
    const audit = await owner.api.audit.list.query({ action: 'plan.changed' });
    expect(audit.events.map((e) => e.summary)).toEqual([
      'Downgraded to the Free plan; SMS sending is off',
      'Upgraded to the SMS plan (3 seats at $30.00/month each)',
    ]);
  });
});

describe('audit log', () => {
  it('records actor, target, time and IP; admins filter it, members cannot read it', async () => {
    const { owner, admin, member } = await orgWithStaff(server, 'Audit Clinic');
    await admin.api.teams.create.mutate({ name: 'Audited Team' });
    const all = await owner.api.audit.list.query({});
    const invite = all.events.find((e) => e.action === 'member.invited')!;
    expect(invite.actor?.email).toBe(owner.email);
    expect(invite.ip).toMatch(/127\.0\.0\.1|::1/);
    expect(invite.actionLabel).toBe('Member invited');

    const adminId = (await admin.api.auth.me.query())!.user.id;
    const byAdmin = await owner.api.audit.list.query({ actorId: adminId });
    expect(byAdmin.events.map((e) => e.action)).toEqual(['team.created', 'invite.accepted']);
    const future = await owner.api.audit.list.query({ from: new Date(Date.now() + 86_400_000) });
    expect(future.events).toEqual([]);

    const page1 = await owner.api.audit.list.query({ limit: 2 });
    const page2 = await owner.api.audit.list.query({ limit: 2, cursor: page1.nextCursor! });
    expect(page1.events).toHaveLength(2);
    expect(page2.events[0]!.id).not.toBe(page1.events[1]!.id);
    expect(new Set([...page1.events, ...page2.events].map((e) => e.id)).size).toBe(page1.events.length + page2.events.length);
    expect((await errorOf(member.api.audit.list.query({}))).code).toBe('FORBIDDEN');
  });
});
