import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { TrpcRouter } from '../src/trpc/app-router.js';
import { type ApiClient, errorOf, jobReaches, messageReaches, orgWithStaff, PASSWORD, SAMPLE_FILES, signUp, startTestServer, type TestServer, uniqueEmail, uploadAttachment, uploadCsv } from './harness.js';

/**
 * Sweeps every procedure on the app router, so a procedure added later is covered without
 * anyone remembering to add it here: each one is called by org A's owner with org B's ids
 * wherever its input takes an id, and must neither reveal nor change anything of org B.
 */

type Ids = Record<string, string>;
type Procedure = { _def: { type: 'query' | 'mutation' | 'subscription'; inputs: z.ZodType[] } };

let server: TestServer;
let ownerA: { email: string; api: ApiClient };
let memberA: { email: string; api: ApiClient };
let bIds: Ids;
let bSecrets: string[];

beforeAll(async () => {
  server = await startTestServer();
  const a = await orgWithStaff(server, 'Clinic A');
  ownerA = a.owner;
  memberA = a.member;
  const b = await orgWithStaff(server, 'Zebra Secret Clinic B');
  const teamB = await b.owner.api.teams.create.mutate({ name: 'Team B Only' });
  const bUserId = (await b.member.api.auth.me.query())!.user.id;
  await b.owner.api.teams.addMember.mutate({ teamId: teamB.id, userId: bUserId });
  const inviteB = await b.owner.api.members.invite.mutate({ email: uniqueEmail('b-invitee'), role: 'member' });
  const asker = await signUp(server, 'B Asker');
  await asker.api.orgs.requestToJoin.mutate({ joinCode: (await b.owner.api.orgs.joinCode.query()).joinCode });
  const [joinRequest] = await b.owner.api.members.joinRequests.query();
  const patientB = await b.member.api.patients.create.mutate({ firstName: 'Quinzel', lastName: 'Bprivate', phone: '4155550999', mrn: 'B-MRN-1' });
  const upload = await uploadCsv(server, b.member.token, 'phone,first_name\n4155550998,Bimport\n', 'b-only.csv');
  await jobReaches(b.member.api, upload.body.jobId!, ['ready']);
  // B texts a patient from its own number, with a template: ids of every messaging kind.
  await b.owner.api.plan.checkout.mutate({ plan: 'sms' });
  await a.owner.api.plan.checkout.mutate({ plan: 'sms' });
  const [available] = await b.owner.api.numbers.search.query({ areaCode: '415' });
  const numberB = await b.owner.api.numbers.buy.mutate({ phoneNumber: available!.phoneNumber, teamId: teamB.id });
  const { conversationId } = await b.member.api.conversations.startSms.mutate({ teamId: teamB.id, patientId: patientB.id });
  const sentB = await b.member.api.conversations.send.mutate({ conversationId, body: 'Bsecret reminder for tomorrow' });
  // Settled before the sweeps snapshot org B: a send still on its way would change B by itself.
  await messageReaches(server, sentB.messageId, ['delivered']);
  const attachmentB = await uploadAttachment(server, b.member.token, conversationId, SAMPLE_FILES.png, 'Bsecret-scan.png');
  const templateB = await b.owner.api.templates.save.mutate({ teamId: null, name: 'B template', body: 'Bsecret template' });
  const adapterB = await b.owner.api.ehrAdapters.save.mutate({ name: 'Bsecret EHR', urlPattern: 'https://b-ehr.example.com/*', selectors: { name: '#b' }, published: true });
  const cohortB = await b.owner.api.cohorts.create.mutate({ name: 'Bsecret cohort', filter: { tags: ['bsecret-tag'] } });
  const imageB = (await (
    await fetch(`${server.url}/api/blast-images?name=Bsecret-flyer.png`, { method: 'POST', headers: { authorization: `Bearer ${b.member.token}`, 'content-type': 'application/octet-stream' }, body: SAMPLE_FILES.png })
  ).json()) as { id: string };
  const memberships = await b.owner.api.members.list.query();
  const audit = await b.owner.api.audit.list.query({});
  bIds = {
    orgId: b.org.id,
    teamId: teamB.id,
    membershipId: memberships.find((m) => m.role === 'member')!.id,
    inviteId: inviteB.id,
    requestId: joinRequest!.id,
    userId: bUserId,
    // conversations.startInternal: org B's member as a colleague.
    'userIds[]': bUserId,
    actorId: bUserId,
    cursor: audit.events[0]!.id,
    patientId: patientB.id,
    // blasts.preview/send/sendTest/selection and addRecipients: org B's patient in a selection.
    'patientIds[]': patientB.id,
    jobId: upload.body.jobId!,
    numberId: numberB.id,
    conversationId,
    attachmentId: attachmentB.body.id,
    templateId: templateB.id,
    adapterId: adapterB.id,
    cohortId: cohortB.id,
    // blasts.send/sendTest/images: org B's MMS image.
    'imageIds[]': imageB.id,
  };
  bSecrets = [...new Set([...Object.values(bIds), 'Zebra Secret Clinic B', 'Team B Only', 'Quinzel', 'Bprivate', 'Bsecret', numberB.e164, 'B-MRN-1', '+14155550999', 'b-only.csv', b.member.email, (await b.owner.api.orgs.joinCode.query()).joinCode])];
});
afterAll(async () => {
  await server?.stop();
});

/** Everything org B owns, so a sweep can prove it was not changed. */
async function snapshotB(): Promise<string> {
  const p = server.db.prisma;
  const orgId = bIds.orgId!;
  const rows = await Promise.all([
    p.org.findUnique({ where: { id: orgId } }),
    p.membership.findMany({ where: { orgId }, orderBy: { id: 'asc' } }),
    p.invite.findMany({ where: { orgId }, orderBy: { id: 'asc' } }),
    p.joinRequest.findMany({ where: { orgId }, orderBy: { id: 'asc' } }),
    p.team.findMany({ where: { orgId }, include: { members: true }, orderBy: { id: 'asc' } }),
    p.subscription.findMany({ where: { orgId } }),
    p.auditEvent.count({ where: { orgId } }),
    p.patient.findMany({ where: { orgId }, orderBy: { id: 'asc' } }),
    p.consentEvent.findMany({ where: { orgId }, orderBy: { id: 'asc' } }),
    p.importJob.findMany({ where: { orgId }, orderBy: { id: 'asc' } }),
    p.phoneNumber.findMany({ where: { orgId }, orderBy: { id: 'asc' } }),
    p.conversation.findMany({ where: { orgId }, orderBy: { id: 'asc' } }),
    p.message.findMany({ where: { orgId }, orderBy: { id: 'asc' } }),
    p.template.findMany({ where: { orgId }, orderBy: { id: 'asc' } }),
    p.smsOptOut.findMany({ where: { orgId }, orderBy: { id: 'asc' } }),
    p.ehrAdapter.findMany({ where: { orgId }, orderBy: { id: 'asc' } }),
    p.attachment.findMany({ where: { orgId }, orderBy: { id: 'asc' } }),
    p.cohort.findMany({ where: { orgId }, orderBy: { id: 'asc' } }),
    p.blastImage.findMany({ where: { orgId }, orderBy: { id: 'asc' } }),
  ]);
  return JSON.stringify(rows);
}

/** A valid-looking value for a field that is not an id: by name first, then by zod type. */
const FIELD_SAMPLES: Record<string, unknown> = {
  email: 'sweep@clinic.example',
  'emails[]': 'sweep@clinic.example',
  password: PASSWORD,
  name: 'Sweep Name',
  timeZone: 'America/Chicago',
  token: 'not-a-real-token-0000000000',
  joinCode: 'ZZZZ9999',
  quietHoursStart: '21:00',
  quietHoursEnd: '07:00',
  client: 'extension',
  contact: '4155550777',
  query: 'Quinzel',
  dob: '1980-01-01',
  firstDay: '2026-04-01',
  lastDay: '2026-04-30',
  phone: '4155550888',
  phoneNumber: '+14155550199',
  areaCode: '415',
  body: 'Sweep body',
  idempotencyKey: 'sweep-idempotency-key',
  urlPattern: 'https://sweep.example.com/*',
  mrn: 'B-MRN-1',
  currentCarrier: 'Sweep Carrier',
  authorizedName: 'Sweep Name',
  authorizedEmail: 'sweep@clinic.example',
  filter: { tags: ['bsecret-tag'], ageMin: 1 },
};

function sample(schema: z.ZodType, key: string, ids: Ids): unknown {
  const def = (schema as unknown as { _zod: { def: Record<string, unknown> & { type: string } } })._zod.def;
  if (key in ids) return ids[key];
  if (key in FIELD_SAMPLES) return FIELD_SAMPLES[key];
  switch (def.type) {
    case 'object': {
      const shape = def.shape as Record<string, z.ZodType>;
      return Object.fromEntries(Object.entries(shape).map(([k, v]) => [k, sample(v, k, ids)]));
    }
    case 'optional':
    case 'default':
    case 'prefault':
    case 'nullable':
      return sample(def.innerType as z.ZodType, key, ids);
    case 'pipe':
      return sample(def.in as z.ZodType, key, ids);
    case 'array':
      return [sample(def.element as z.ZodType, `${key}[]`, ids)];
    case 'enum':
      return Object.values(def.entries as Record<string, string>)[0];
    case 'string':
      return 'sample';
    case 'number':
      return 1;
    case 'boolean':
      return false;
    case 'date':
      return new Date();
    default:
      throw new Error(`No sample for field "${key}" of type ${def.type}: add one to FIELD_SAMPLES`);
  }
}

function usesIds(input: unknown, ids: Ids): boolean {
  const json = JSON.stringify(input ?? null);
  return Object.values(ids).some((id) => json.includes(id));
}

const procedures = () => Object.entries((server.app.get(TrpcRouter).appRouter._def as unknown as { procedures: Record<string, Procedure> }).procedures);

/** Inputs that name one of several targets (a conversation, or a patient and a team): each shape is tried. */
const SHAPES: Record<string, (input: Record<string, unknown>) => Record<string, unknown>[]> = {
  'conversations.send': ({ conversationId, patientId, teamId, ...rest }) => [
    { ...rest, conversationId },
    { ...rest, patientId, teamId },
  ],
};

async function call(api: ApiClient, path: string, type: 'query' | 'mutation', input: unknown) {
  let node: any = api;
  for (const part of path.split('.')) node = node[part];
  return type === 'query' ? node.query(input) : node.mutate(input);
}

describe('tenant isolation', () => {
  it('covers a meaningful number of procedures', () => {
    expect(procedures().length).toBeGreaterThan(30);
  });

  for (const role of ['owner', 'member'] as const) {
    it(`org A's ${role} can neither see nor change org B through any procedure`, async () => {
      const who = role === 'owner' ? ownerA : memberA;
      const failures: string[] = [];
      const before = await snapshotB();
      let api: ApiClient | null = null;
      for (const [path, proc] of procedures()) {
        if (proc._def.type === 'subscription') continue;
        // A live session for every call: signOut or a reset must not mask later checks as
        // UNAUTHORIZED. Signing in is a deliberately slow hash, so only when the last call ended it.
        if (!api || !(await api.auth.me.query().catch(() => null))) {
          const { token } = await server.anon.auth.signIn.mutate({ email: who.email, password: PASSWORD, client: 'extension' });
          api = server.as(token!);
        }
        const schema = proc._def.inputs[0];
        const sampled = schema ? sample(schema, '', bIds) : undefined;
        for (const input of SHAPES[path]?.(sampled as Record<string, unknown>) ?? [sampled]) {
          const targetsB = usesIds(input, bIds);
          try {
            const result = await call(api, path, proc._def.type, input);
            // A query may treat a foreign id as a filter that matches nothing (the leak check
            // below still applies); a mutation that accepts one is always wrong.
            if (targetsB && proc._def.type === 'mutation') failures.push(`${path} accepted org B's ids`);
            // A value the caller sent is not a leak when it comes back (an MRN both orgs use).
            const sent = JSON.stringify(input ?? null);
            const leaked = bSecrets.filter((secret) => !sent.includes(secret) && JSON.stringify(result ?? null).includes(secret));
            if (leaked.length) failures.push(`${path} returned org B data: ${leaked.join(', ')}`);
          } catch (error) {
            const { code } = await errorOf(Promise.reject(error));
            if (targetsB && !['NOT_FOUND', 'FORBIDDEN'].includes(code)) failures.push(`${path} answered ${code} for org B's ids (expected NOT_FOUND or FORBIDDEN)`);
          }
        }
      }
      expect(failures).toEqual([]);
      expect(await snapshotB()).toBe(before);
    }, 120_000);
  }

  it("a subscription for one org never delivers another org's events", async () => {
    const { token } = await server.anon.auth.signIn.mutate({ email: ownerA.email, password: PASSWORD, client: 'extension' });
    const received: unknown[] = [];
    const sub = server.as(token!).orgs.events.subscribe(undefined, { onData: (e) => received.push(e) });
    const bOwner = await signUp(server);
    await bOwner.api.orgs.create.mutate({ name: 'Other Org' });
    await bOwner.api.teams.create.mutate({ name: 'Noise' });
    await ownerA.api.teams.create.mutate({ name: 'Signal' });
    await new Promise((r) => setTimeout(r, 300));
    sub.unsubscribe();
    expect(received).toEqual([{ type: 'teams.changed' }]);
  });
});
