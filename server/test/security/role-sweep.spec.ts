import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { EXTERNAL_PROCEDURES } from '../../src/access/access.service.js';
import { TrpcRouter } from '../../src/trpc/app-router.js';
import { type ApiClient, errorOf, jobReaches, orgWithStaff, PASSWORD, signUp, startTestServer, type TestServer, uniqueEmail, uploadCsv, waitFor } from '../harness.js';

/**
 * The role sweep, beside the tenant sweep (tenant-isolation.spec.ts): every admin procedure on
 * the app router, called by a plain member of the same organization with that organization's
 * own ids, answers FORBIDDEN and changes nothing. Admin procedures are found on the router
 * itself (adminProcedure sets `meta.adminOnly`), so a new one is swept without anyone adding
 * it here; KNOWN_ADMIN_PROCEDURES pins today's ones, so turning one into an orgProcedure (say,
 * numbers.buy) fails this file instead of silently leaving the sweep.
 */

const KNOWN_ADMIN_PROCEDURES = [
  'audit.actions',
  'audit.list',
  'cohorts.create',
  'cohorts.delete',
  'cohorts.update',
  'ehrAdapters.delete',
  'ehrAdapters.save',
  'members.changeRole',
  'members.decideJoinRequest',
  'members.invite',
  'members.invites',
  'members.joinRequests',
  'members.remove',
  'members.revokeInvite',
  'numbers.buy',
  'numbers.portRequests',
  'numbers.release',
  'numbers.requestPort',
  'numbers.search',
  'numbers.update',
  'orgs.joinCode',
  'orgs.regenerateJoinCode',
  'orgs.update',
  'orgs.updatePolicies',
  'orgs.updateReplies',
  'plan.cancel',
  'plan.checkout',
  'plan.get',
  'teams.addMember',
  'teams.create',
  'teams.delete',
  'teams.removeMember',
  'teams.rename',
];

/**
 * Team procedures (trpc.ts: teamProcedure, conversationProcedure) resolve the team from the
 * input and require membership before the handler runs; pinned like the admin ones.
 */
const KNOWN_TEAM_PROCEDURES = ['blasts.preview', 'blasts.send', 'blasts.sendTest', 'conversations.addPeople', 'conversations.availability', 'conversations.get', 'conversations.leave', 'conversations.markRead', 'conversations.removePerson', 'conversations.resendInvite', 'conversations.send', 'conversations.startSecure', 'conversations.startSms', 'portal.resendLink', 'portal.setReplies', 'simulator.replyAsPatient'];

/**
 * Procedures that need no organization (sign-in, one's own account, creating or joining an org,
 * the patient portal's link-scoped calls, Get started). Every other procedure is an
 * orgProcedure; pinned so that a new procedure outside orgProcedure fails this file and is
 * looked at (an external collaborator is refused only what goes through orgProcedure).
 */
const KNOWN_NOT_ORG_SCOPED = [
  'account.get',
  'account.setPhone',
  'auth.acceptInvite',
  'auth.confirmSignUp',
  'auth.inviteInfo',
  'auth.me',
  'auth.requestPasswordReset',
  'auth.resetPassword',
  'auth.signIn',
  'auth.signOut',
  'auth.signUp',
  'devMailbox.clear',
  'devMailbox.enabled',
  'devMailbox.list',
  'external.accept',
  'external.info',
  'external.setUp',
  'orgs.create',
  'orgs.myJoinRequests',
  'orgs.requestToJoin',
  'orgs.switch',
  'simulator.enabled',
];

type Ids = Record<string, string>;
type Procedure = { _def: { type: 'query' | 'mutation' | 'subscription'; inputs: z.ZodType[]; meta?: { orgScoped?: boolean; adminOnly?: boolean; teamScoped?: boolean } } };

let server: TestServer;
let staff: Awaited<ReturnType<typeof orgWithStaff>>;
let ids: Ids;
/** An external collaborator of the org (invited into an internal chat by email), and their password sign-in. */
let external: { email: string; conversationId: string };

beforeAll(async () => {
  server = await startTestServer();
  staff = await orgWithStaff(server, 'Role Sweep Clinic');
  const { owner, member } = staff;
  // One of everything an admin procedure can take an id of, all in the member's own org.
  await owner.api.plan.checkout.mutate({ plan: 'sms' });
  const team = await owner.api.teams.create.mutate({ name: 'Sweep Team' });
  const memberUserId = (await member.api.auth.me.query())!.user.id;
  await owner.api.teams.addMember.mutate({ teamId: team.id, userId: memberUserId });
  const invite = await owner.api.members.invite.mutate({ email: uniqueEmail('sweep-invitee'), role: 'member' });
  const asker = await signUp(server, 'Sweep Asker');
  await asker.api.orgs.requestToJoin.mutate({ joinCode: (await owner.api.orgs.joinCode.query()).joinCode });
  const [joinRequest] = await owner.api.members.joinRequests.query();
  const patient = await member.api.patients.create.mutate({ firstName: 'Sweep', lastName: 'Patient', phone: '4155550333', mrn: 'SWEEP-1' });
  const upload = await uploadCsv(server, member.token, 'phone,first_name\n4155550334,Swept\n', 'sweep.csv');
  await jobReaches(member.api, upload.body.jobId!, ['ready']);
  const [available] = await owner.api.numbers.search.query({ areaCode: '415' });
  const number = await owner.api.numbers.buy.mutate({ phoneNumber: available!.phoneNumber, teamId: team.id });
  const { conversationId } = await member.api.conversations.startSms.mutate({ teamId: team.id, patientId: patient.id });
  const template = await owner.api.templates.save.mutate({ teamId: null, name: 'Org template', body: 'Hello' });
  const adapter = await owner.api.ehrAdapters.save.mutate({ name: 'Sweep EHR', urlPattern: 'https://sweep-ehr.example.com/*', selectors: { name: '#n' }, published: true });
  const cohort = await owner.api.cohorts.create.mutate({ name: 'Sweep cohort', filter: { tags: ['sweep'] } });
  // An external collaborator: the member invites an address into an internal chat; the first message mails Get started.
  await owner.api.orgs.updatePolicies.mutate({ ...(await owner.api.orgs.current.query()).policies!, externalChatAllowed: true });
  const externalEmail = uniqueEmail('sweep-external');
  const chat = await member.api.conversations.startInternal.mutate({ userIds: [], emails: [externalEmail] });
  await member.api.conversations.send.mutate({ conversationId: chat.conversationId, channel: 'secure', body: 'Hello from the sweep' });
  const mail = await waitFor(() => server.db.prisma.devMail.findFirst({ where: { to: externalEmail } }));
  await server.anon.external.setUp.mutate({ token: /\/external\/([A-Za-z0-9_-]+)/.exec(mail.text)![1]!, name: 'Sweep External', password: PASSWORD, client: 'extension' });
  external = { email: externalEmail, conversationId: chat.conversationId };
  const memberships = await owner.api.members.list.query();
  const audit = await owner.api.audit.list.query({});
  ids = {
    orgId: staff.org.id,
    teamId: team.id,
    // The admin's membership: a member changing or removing someone else is the attack.
    membershipId: memberships.find((m) => m.role === 'admin')!.id,
    inviteId: invite.id,
    requestId: joinRequest!.id,
    userId: memberUserId,
    actorId: memberUserId,
    cursor: audit.events[0]!.id,
    patientId: patient.id,
    jobId: upload.body.jobId!,
    numberId: number.id,
    conversationId,
    templateId: template.id,
    adapterId: adapter.id,
    cohortId: cohort.id,
  };
});
afterAll(async () => {
  await server?.stop();
});

/** Everything of the org an admin procedure could change. */
async function snapshot(): Promise<string> {
  const p = server.db.prisma;
  const orgId = ids.orgId!;
  const rows = await Promise.all([
    p.org.findUnique({ where: { id: orgId } }),
    p.membership.findMany({ where: { orgId }, orderBy: { id: 'asc' } }),
    p.invite.findMany({ where: { orgId }, orderBy: { id: 'asc' } }),
    p.joinRequest.findMany({ where: { orgId }, orderBy: { id: 'asc' } }),
    p.team.findMany({ where: { orgId }, include: { members: true }, orderBy: { id: 'asc' } }),
    p.subscription.findMany({ where: { orgId } }),
    p.auditEvent.count({ where: { orgId } }),
    p.phoneNumber.findMany({ where: { orgId }, orderBy: { id: 'asc' } }),
    p.template.findMany({ where: { orgId }, orderBy: { id: 'asc' } }),
    p.ehrAdapter.findMany({ where: { orgId }, orderBy: { id: 'asc' } }),
    p.cohort.findMany({ where: { orgId }, orderBy: { id: 'asc' } }),
    p.conversation.findMany({ where: { orgId }, orderBy: { id: 'asc' } }),
    p.message.count({ where: { orgId } }),
  ]);
  return JSON.stringify(rows);
}

/** A valid value for a field: the org's own id where it is one, else by name, else by zod type. */
const FIELD_SAMPLES: Record<string, unknown> = {
  email: 'sweep@clinic.example',
  name: 'Sweep Name',
  timeZone: 'America/Chicago',
  quietHoursStart: '21:00',
  quietHoursEnd: '07:00',
  phoneNumber: '+14155550199',
  areaCode: '415',
  urlPattern: 'https://sweep.example.com/*',
  currentCarrier: 'Sweep Carrier',
  authorizedName: 'Sweep Name',
  authorizedEmail: 'sweep@clinic.example',
  helpReply: 'Call us',
  contactPhone: '4155550100',
  confirmKeywords: ['YES'],
  declineKeywords: ['NO'],
  role: 'admin',
  plan: 'sms',
};

function sample(schema: z.ZodType, key: string): unknown {
  const def = (schema as unknown as { _zod: { def: Record<string, unknown> & { type: string } } })._zod.def;
  if (key in ids) return ids[key];
  if (key in FIELD_SAMPLES) return FIELD_SAMPLES[key];
  switch (def.type) {
    case 'object':
      return Object.fromEntries(Object.entries(def.shape as Record<string, z.ZodType>).map(([k, v]) => [k, sample(v, k)]));
    case 'optional':
    case 'default':
    case 'prefault':
    case 'nullable':
      return sample(def.innerType as z.ZodType, key);
    case 'pipe':
      return sample(def.in as z.ZodType, key);
    case 'array':
      return [sample(def.element as z.ZodType, `${key}[]`)];
    case 'enum':
      return Object.values(def.entries as Record<string, string>)[0];
    case 'record':
      return { name: '#sweep' };
    case 'string':
      return 'sample';
    case 'number':
      return 1;
    case 'boolean':
      return true;
    case 'date':
      return new Date('2026-04-01T00:00:00Z');
    default:
      throw new Error(`No sample for field "${key}" of type ${def.type}: add one to FIELD_SAMPLES`);
  }
}

const procedures = () => Object.entries((server.app.get(TrpcRouter).appRouter._def as unknown as { procedures: Record<string, Procedure> }).procedures);
const adminProcedures = () => procedures().filter(([, proc]) => proc._def.meta?.adminOnly === true);
const teamProcedures = () => procedures().filter(([, proc]) => proc._def.meta?.teamScoped === true);
const orgProcedures = () => procedures().filter(([, proc]) => proc._def.meta?.orgScoped === true);
/** One input for all of a procedure's schemas (a team procedure has the guard's, then its own). */
const sampleInput = (proc: Procedure) => (proc._def.inputs.length ? Object.assign({}, ...proc._def.inputs.map((schema) => sample(schema, ''))) : undefined);

async function call(api: ApiClient, path: string, type: 'query' | 'mutation', input: unknown) {
  let node: any = api;
  for (const part of path.split('.')) node = node[part];
  return type === 'query' ? node.query(input) : node.mutate(input);
}

describe('role sweep: admin procedures refuse a plain member of the same org', () => {
  it('finds the admin procedures on the router, including every one known today (numbers.buy among them)', () => {
    const found = adminProcedures().map(([path]) => path);
    expect(found).toContain('numbers.buy');
    expect(KNOWN_ADMIN_PROCEDURES.filter((path) => !found.includes(path))).toEqual([]);
    expect(found.length).toBeGreaterThanOrEqual(KNOWN_ADMIN_PROCEDURES.length);
  });

  it('every admin procedure answers FORBIDDEN to a member, and the org is unchanged', async () => {
    const before = await snapshot();
    const failures: string[] = [];
    let swept = 0;
    for (const [path, proc] of adminProcedures()) {
      if (proc._def.type === 'subscription') continue;
      // A fresh session per call, so no call's side effect can hide another's answer.
      const { token } = await server.anon.auth.signIn.mutate({ email: staff.member.email, password: PASSWORD, client: 'extension' });
      const schema = proc._def.inputs[0];
      const input = schema ? sample(schema, '') : undefined;
      swept += 1;
      try {
        await call(server.as(token!), path, proc._def.type, input);
        failures.push(`${path} answered a member`);
      } catch (error) {
        const { code } = await errorOf(Promise.reject(error));
        if (code !== 'FORBIDDEN') failures.push(`${path} answered ${code} (expected FORBIDDEN)`);
      }
    }
    expect(failures).toEqual([]);
    expect(swept).toBeGreaterThanOrEqual(KNOWN_ADMIN_PROCEDURES.length);
    expect(await snapshot()).toBe(before);
  });

  it('the same inputs work for an admin (so FORBIDDEN above is the role, not a bad input)', async () => {
    const failures: string[] = [];
    for (const path of ['numbers.search', 'audit.list', 'members.invites', 'plan.get', 'orgs.joinCode']) {
      const proc = procedures().find(([p]) => p === path)![1];
      const schema = proc._def.inputs[0];
      try {
        await call(staff.admin.api, path, proc._def.type as 'query', schema ? sample(schema, '') : undefined);
      } catch (error) {
        failures.push(`${path}: ${(await errorOf(Promise.reject(error))).code}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('admin rules inside orgProcedures hold too: org-wide templates', async () => {
    expect((await errorOf(staff.member.api.templates.save.mutate({ teamId: null, name: 'Member org template', body: 'Hi' }))).code).toBe('FORBIDDEN');
    expect((await errorOf(staff.member.api.templates.save.mutate({ teamId: null, templateId: ids.templateId, name: 'Renamed', body: 'Hi' }))).code).toBe('FORBIDDEN');
    expect((await errorOf(staff.member.api.templates.delete.mutate({ templateId: ids.templateId! }))).code).toBe('FORBIDDEN');
    expect(await server.db.prisma.template.findUnique({ where: { id: ids.templateId! } })).toMatchObject({ name: 'Org template' });
  });
});

describe('team sweep: team procedures refuse a member of the org who is not on the team', () => {
  it('finds the team procedures on the router, including every one known today', () => {
    const found = teamProcedures().map(([path]) => path);
    expect(KNOWN_TEAM_PROCEDURES.filter((path) => !found.includes(path))).toEqual([]);
  });

  it('every team procedure answers FORBIDDEN to the owner (an admin, not on the team) before it acts, and nothing changes', async () => {
    const before = await snapshot();
    const failures: string[] = [];
    let swept = 0;
    for (const [path, proc] of teamProcedures()) {
      if (proc._def.type === 'subscription') continue;
      swept += 1;
      const code = await call(staff.owner.api, path, proc._def.type, sampleInput(proc)).then(() => 'OK', async (error) => (await errorOf(Promise.reject(error))).code);
      if (code !== 'FORBIDDEN') failures.push(`${path} answered ${code} (expected FORBIDDEN)`);
    }
    expect(failures).toEqual([]);
    expect(swept).toBeGreaterThanOrEqual(KNOWN_TEAM_PROCEDURES.length);
    expect(await snapshot()).toBe(before);
  });

  it('naming a team and a conversation of another team is NOT_FOUND, even to a member of both', async () => {
    const { owner, member } = staff;
    const other = await owner.api.teams.create.mutate({ name: 'Sweep Team Two' });
    await owner.api.teams.addMember.mutate({ teamId: other.id, userId: ids.userId! });
    const [available] = await owner.api.numbers.search.query({ areaCode: '415' });
    await owner.api.numbers.buy.mutate({ phoneNumber: available!.phoneNumber, teamId: other.id });
    const { conversationId } = await member.api.conversations.startSms.mutate({ teamId: other.id, patientId: ids.patientId! });
    const mixed = member.api.conversations.availability.query({ teamId: ids.teamId!, conversationId, patientIds: [ids.patientId!] });
    expect(await errorOf(mixed)).toMatchObject({ code: 'NOT_FOUND', message: 'Conversation not found.' });
    expect((await member.api.conversations.availability.query({ teamId: other.id, conversationId, patientIds: [ids.patientId!] })).sms.available).toBe(true);
  });

  it('a team member passes the guard with the same inputs (so FORBIDDEN above is the team, not a bad input)', async () => {
    const conversation = await staff.member.api.conversations.get.query({ conversationId: ids.conversationId! });
    expect(conversation.team.id).toBe(ids.teamId);
    expect((await staff.member.api.conversations.availability.query({ teamId: ids.teamId!, patientIds: [ids.patientId!] })).sms.available).toBe(true);
  });
});

describe('external sweep: an external collaborator is refused every org procedure off the allow-list', () => {
  it('every procedure is either an orgProcedure or known to need no organization', () => {
    const notOrg = procedures()
      .filter(([, proc]) => proc._def.meta?.orgScoped !== true)
      .map(([path]) => path)
      .sort();
    expect(notOrg).toEqual([...KNOWN_NOT_ORG_SCOPED].sort());
    // The allow-list names only org procedures that exist (a renamed one would silently drop out).
    const org = new Set(orgProcedures().map(([path]) => path));
    expect([...EXTERNAL_PROCEDURES].filter((path) => !org.has(path) && path !== 'attachments.upload')).toEqual([]);
    // Admin and team procedures are org procedures too, so the sweep below covers them.
    expect(adminProcedures().every(([, proc]) => proc._def.meta?.orgScoped)).toBe(true);
  });

  it('every org procedure not on the allow-list answers FORBIDDEN to an external member, and nothing changes', async () => {
    const before = await snapshot();
    const failures: string[] = [];
    let swept = 0;
    // One session for the whole sweep: every refusal happens in orgProcedure, before any handler runs.
    const { token } = await server.anon.auth.signIn.mutate({ email: external.email, password: PASSWORD, client: 'extension' });
    const api = server.as(token!);
    for (const [path, proc] of orgProcedures()) {
      if (EXTERNAL_PROCEDURES.has(path)) continue;
      swept += 1;
      let code: string;
      if (proc._def.type === 'subscription') {
        code = await new Promise<string>((resolve) => {
          let node: any = api;
          for (const part of path.split('.')) node = node[part];
          const sub = node.subscribe(sampleInput(proc), {
            onData: () => (sub.unsubscribe(), resolve('OK')),
            onError: (error: { data?: { code?: string } }) => (sub.unsubscribe(), resolve(error.data?.code ?? 'ERROR')),
          });
        });
      } else {
        code = await call(api, path, proc._def.type, sampleInput(proc)).then(() => 'OK', async (error) => (await errorOf(Promise.reject(error))).code);
      }
      if (code !== 'FORBIDDEN') failures.push(`${path} answered ${code} (expected FORBIDDEN)`);
    }
    expect(failures).toEqual([]);
    // Settings, policies, members, patients, numbers, blasts, cohorts, analytics, audit: all swept.
    for (const path of ['orgs.updatePolicies', 'orgs.replies', 'members.list', 'patients.list', 'numbers.list', 'blasts.list', 'cohorts.list', 'teams.list', 'audit.list', 'plan.get', 'templates.list']) {
      expect(orgProcedures().some(([p]) => p === path) && !EXTERNAL_PROCEDURES.has(path), path).toBe(true);
    }
    expect(swept).toBeGreaterThan(50);
    expect(await snapshot()).toBe(before);
  });

  it('the allow-listed procedures work for them in their conversation (so FORBIDDEN above is the role)', async () => {
    const { token } = await server.anon.auth.signIn.mutate({ email: external.email, password: PASSWORD, client: 'extension' });
    const api = server.as(token!);
    expect((await api.conversations.list.query({})).conversations.map((c) => c.id)).toEqual([external.conversationId]);
    expect((await api.conversations.get.query({ conversationId: external.conversationId })).messages).toHaveLength(1);
    expect(await api.orgs.current.query()).toMatchObject({ myRole: 'external', policies: null, confirmationWords: null });
  });
});
