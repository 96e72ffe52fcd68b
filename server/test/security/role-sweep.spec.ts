import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { TrpcRouter } from '../../src/trpc/app-router.js';
import { type ApiClient, errorOf, jobReaches, orgWithStaff, PASSWORD, signUp, startTestServer, type TestServer, uniqueEmail, uploadCsv } from '../harness.js';

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
const KNOWN_TEAM_PROCEDURES = ['blasts.preview', 'blasts.send', 'blasts.sendTest', 'conversations.availability', 'conversations.get', 'conversations.markRead', 'conversations.send', 'conversations.startSecure', 'conversations.startSms', 'portal.resendLink', 'portal.setReplies', 'simulator.replyAsPatient'];

type Ids = Record<string, string>;
type Procedure = { _def: { type: 'query' | 'mutation' | 'subscription'; inputs: z.ZodType[]; meta?: { adminOnly?: boolean; teamScoped?: boolean } } };

let server: TestServer;
let staff: Awaited<ReturnType<typeof orgWithStaff>>;
let ids: Ids;

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
