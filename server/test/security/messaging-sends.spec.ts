import { localParts } from '@caretext/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SendWorker } from '../../src/messages/send-worker.js';
import { errorOf, orgWithStaff, smsClinic, startTestServer, type TestServer, waitFor } from '../harness.js';
import { reaches } from './messaging-helpers.js';

/**
 * Issue 9: idempotency keys after authorization (14), scheduled messages re-checked when they go
 * out (17), the PHI override audited (18), quiet hours in the patient's zone, and reads that
 * change nothing (7).
 */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});

/** The file's first test also warms the server up (first queries, first carrier calls), so it gets longer. */
const FIRST_TEST_MS = 90_000;

let phoneCounter = 7300;
const nextPhone = () => `+1415555${String(phoneCounter++).padStart(4, '0')}`;
type Clinic = Awaited<ReturnType<typeof smsClinic>>;

/**
 * Moves the test clock forward to the next time the wall clock in `timeZone` reads hh:mm. The
 * staff of these clinics are busy meanwhile: their sessions stay active (an idle one would be
 * signed out after 12 hours, which is not what these tests are about).
 */
async function advanceToLocal(hour: number, minute: number, timeZone: string) {
  const now = server.clock.now();
  const p = localParts(now, timeZone);
  let delta = ((hour * 60 + minute - (p.hour * 60 + p.minute)) * 60 - p.second) * 1000;
  if (delta <= 0) delta += 24 * 3600_000;
  server.clock.advance(delta);
  await server.db.prisma.session.updateMany({ where: { revokedAt: null }, data: { lastSeenAt: server.clock.now() } });
}

describe('idempotency keys are scoped and checked after authorization (item 14)', () => {
  it("a key reused by another org, another conversation or another person neither returns someone else's message nor blocks them", async () => {
    const key = 'outbox-shared-key-0001';
    const a = await smsClinic(server, nextPhone(), 'Keys A');
    const first = await a.member.api.conversations.send.mutate({ conversationId: a.conversationId, body: 'A first', idempotencyKey: key });
    expect(first.duplicate).toBe(false);

    // Someone in the same org without access to the conversation learns nothing from the key.
    const outsider = a.admin; // an admin, but not on Front Desk
    expect((await errorOf(outsider.api.conversations.send.mutate({ conversationId: a.conversationId, body: 'peek', idempotencyKey: key }))).code).toBe('FORBIDDEN');

    // Another org with the same key sends its own message.
    const b = await smsClinic(server, nextPhone(), 'Keys B');
    const other = await b.member.api.conversations.send.mutate({ conversationId: b.conversationId, body: 'B first', idempotencyKey: key });
    expect(other).toMatchObject({ duplicate: false });
    expect(other.messageId).not.toBe(first.messageId);

    // The same person, another conversation: a new message too.
    const patient2 = await a.member.api.patients.create.mutate({ firstName: 'Second', phone: nextPhone() });
    const { conversationId: second } = await a.member.api.conversations.startSms.mutate({ teamId: a.team.id, patientId: patient2.id });
    const elsewhere = await a.member.api.conversations.send.mutate({ conversationId: second, body: 'A elsewhere', idempotencyKey: key });
    expect(elsewhere).toMatchObject({ duplicate: false });

    // Another team member in the same conversation: their own message, not the first one.
    const byOwner = await a.owner.api.conversations.send.mutate({ conversationId: a.conversationId, body: 'Owner writes', idempotencyKey: key });
    expect(byOwner.duplicate).toBe(false);
    expect(byOwner.messageId).not.toBe(first.messageId);

    // A true retry is still a duplicate.
    const retry = await a.member.api.conversations.send.mutate({ conversationId: a.conversationId, body: 'A first', idempotencyKey: key });
    expect(retry).toMatchObject({ duplicate: true, messageId: first.messageId });

    for (const id of [first.messageId, other.messageId, elsewhere.messageId, byOwner.messageId]) await reaches(server, id, ['delivered']);
    const bodies = server.simulator!.messages().map((m) => m.body);
    for (const body of ['A first', 'B first', 'A elsewhere', 'Owner writes']) expect(bodies.filter((b) => b === body)).toHaveLength(1);
    expect(bodies).not.toContain('peek');
  }, FIRST_TEST_MS);
});

describe('a send by patient and team (issue 10) opens no way around the team rules', () => {
  it("another org's patient or team, or a team the sender is not on: refused, no conversation started, nothing sent", async () => {
    const a = await smsClinic(server, nextPhone(), 'ByPatient A');
    const b = await smsClinic(server, nextPhone(), 'ByPatient B');
    const fresh = await a.member.api.patients.create.mutate({ firstName: 'Fresh', phone: nextPhone() });
    const attempt = (who: typeof a.member, teamId: string, patientId: string) =>
      errorOf(who.api.conversations.send.mutate({ teamId, patientId, body: 'By patient probe', idempotencyKey: 'by-patient-probe-0001' }));
    expect((await attempt(a.member, a.team.id, b.patient.id)).code).toBe('NOT_FOUND'); // B's patient
    expect((await attempt(a.member, b.team.id, fresh.id)).code).toBe('NOT_FOUND'); // B's team
    expect((await attempt(a.admin, a.team.id, fresh.id)).code).toBe('FORBIDDEN'); // an admin not on Front Desk
    // The key of a message someone else sent is no way in either.
    const sent = await a.member.api.conversations.send.mutate({ teamId: a.team.id, patientId: fresh.id, body: 'By patient real', idempotencyKey: 'by-patient-probe-0001' });
    expect((await attempt(a.admin, a.team.id, fresh.id)).code).toBe('FORBIDDEN');
    expect((await attempt(b.member, b.team.id, fresh.id)).code).toBe('NOT_FOUND');
    expect(await server.db.prisma.conversation.count({ where: { patientId: fresh.id } })).toBe(1);
    expect(await server.db.prisma.conversation.count({ where: { patientId: b.patient.id } })).toBe(1); // smsClinic's own
    await reaches(server, sent.messageId, ['delivered']);
    expect(server.simulator!.messages().map((m) => m.body)).not.toContain('By patient probe');
  });
});

describe('scheduled messages are checked again when they go out (item 17)', () => {
  /** A message held for quiet hours (21:30 in Chicago, the clinic's zone), then `change`, then 08:30. */
  async function heldThen(clinic: Clinic, body: string, change: () => Promise<unknown>) {
    await advanceToLocal(21, 30, 'America/Chicago');
    const held = await clinic.member.api.conversations.send.mutate({ conversationId: clinic.conversationId, body, quietHours: 'schedule' });
    expect(held.sendAfter).not.toBeNull();
    await change();
    await advanceToLocal(8, 30, 'America/Chicago');
    await server.app.get(SendWorker).drain();
    await server.simulator!.settle();
    expect(server.simulator!.messages().filter((m) => m.body === body)).toHaveLength(0);
    const view = await clinic.owner.api.conversations.get.query({ conversationId: clinic.conversationId }).catch(() => null);
    const stored = await server.db.prisma.message.findUniqueOrThrow({ where: { id: held.messageId } });
    expect(stored.status).toBe('canceled');
    if (view) expect(view.messages.find((m) => m.id === held.messageId)).toMatchObject({ status: 'canceled', errorMessage: stored.errorMessage });
    return stored.errorMessage;
  }

  it('is sent when nothing changed', async () => {
    const clinic = await smsClinic(server, nextPhone(), 'Held OK');
    await advanceToLocal(21, 30, 'America/Chicago');
    const held = await clinic.member.api.conversations.send.mutate({ conversationId: clinic.conversationId, body: 'Held and fine', quietHours: 'schedule' });
    await advanceToLocal(8, 30, 'America/Chicago');
    await server.app.get(SendWorker).drain();
    await reaches(server, held.messageId, ['delivered']);
  });

  it('is canceled after a plan downgrade', async () => {
    const clinic = await smsClinic(server, nextPhone(), 'Held Plan');
    expect(await heldThen(clinic, 'Held, plan', () => clinic.owner.api.plan.cancel.mutate())).toBe('Not sent: the organization no longer has the SMS plan.');
  });

  it('is canceled when the patient is blocked', async () => {
    const clinic = await smsClinic(server, nextPhone(), 'Held Block');
    expect(await heldThen(clinic, 'Held, blocked', () => clinic.owner.api.patients.update.mutate({ patientId: clinic.patient.id, blocked: true }))).toBe('Not sent: the clinic blocked texting this patient.');
  });

  it('is canceled when the patient opts out', async () => {
    const clinic = await smsClinic(server, nextPhone(), 'Held Stop');
    const reason = await heldThen(clinic, 'Held, STOP', () => server.simulator!.simulateInbound({ from: clinic.patient.phone!, to: clinic.number.e164, body: 'STOP' }));
    expect(reason).toMatch(/^Not sent: the patient opted out of texts from \(\d{3}\) \d{3}-\d{4}\.$/);
  });

  it('is canceled when the sender leaves the team', async () => {
    const clinic = await smsClinic(server, nextPhone(), 'Held Team');
    const memberId = (await clinic.member.api.auth.me.query())!.user.id;
    expect(await heldThen(clinic, 'Held, left team', () => clinic.owner.api.teams.removeMember.mutate({ teamId: clinic.team.id, userId: memberId }))).toBe(
      'Not sent: the person who wrote it is no longer on this team.',
    );
  });

  it('is canceled when the sender is removed from the organization', async () => {
    const clinic = await smsClinic(server, nextPhone(), 'Held Org');
    const memberId = (await clinic.member.api.auth.me.query())!.user.id;
    const membership = (await clinic.owner.api.members.list.query()).find((m) => m.user.id === memberId)!;
    expect(await heldThen(clinic, 'Held, removed', () => clinic.owner.api.members.remove.mutate({ membershipId: membership.id }))).toBe(
      'Not sent: the person who wrote it is no longer a member of the organization.',
    );
  });

  it('is canceled when the number is released, at once and with the date', async () => {
    const clinic = await smsClinic(server, nextPhone(), 'Held Release');
    const reason = await heldThen(clinic, 'Held, released', () => clinic.owner.api.numbers.release.mutate({ numberId: clinic.number.id }));
    expect(reason).toMatch(/^Not sent: the number \(\d{3}\) \d{3}-\d{4} was released on \d{4}-\d{2}-\d{2}\.$/);
  });

  it('the worker cancels a due message whose number is no longer the conversation org\'s, even if nobody canceled it on release', async () => {
    const clinic = await smsClinic(server, nextPhone(), 'Held Raw');
    await advanceToLocal(21, 30, 'America/Chicago');
    const held = await clinic.member.api.conversations.send.mutate({ conversationId: clinic.conversationId, body: 'Held, raw release', quietHours: 'schedule' });
    // As if released by an older version (or by hand): the row is released, the message still queued.
    await server.db.prisma.phoneNumber.update({ where: { id: clinic.number.id }, data: { status: 'released', releasedAt: server.clock.now() } });
    await advanceToLocal(8, 30, 'America/Chicago');
    // The worker's next passes (as its polling loop makes them): in CI a single drain() twice
    // found the message still queued (on PostgreSQL at load ~5; not reproduced alone), so the
    // test asks for the cancel within the worker's passes, not on the first one. Never sent.
    const stored = await waitFor(async () => {
      await server.app.get(SendWorker).drain();
      const m = await server.db.prisma.message.findUniqueOrThrow({ where: { id: held.messageId } });
      return m.status === 'queued' ? null : m;
    });
    expect(stored).toMatchObject({ status: 'canceled' });
    expect(stored.errorMessage).toContain('was released on');
    expect(server.simulator!.messages().filter((m) => m.body === 'Held, raw release')).toHaveLength(0);
  });
});

describe('the PHI override is audited (item 18)', () => {
  it('records who sent past the guard and which kinds of PHI were flagged, never the text', async () => {
    const clinic = await smsClinic(server, nextPhone(), 'PHI Audit');
    await advanceToLocal(12, 0, 'America/Chicago');
    const body = 'Your A1c results came back high; take metformin 500 mg.';
    expect((await errorOf(clinic.member.api.conversations.send.mutate({ conversationId: clinic.conversationId, body }))).code).toBe('PRECONDITION_FAILED');
    expect((await clinic.owner.api.audit.list.query({ action: 'message.phi_override' })).events).toHaveLength(0);

    const sent = await clinic.member.api.conversations.send.mutate({ conversationId: clinic.conversationId, body, confirmPhi: true });
    const { events } = await clinic.owner.api.audit.list.query({ action: 'message.phi_override' });
    expect(events).toHaveLength(1);
    const memberId = (await clinic.member.api.auth.me.query())!.user.id;
    expect(events[0]).toMatchObject({ actor: { id: memberId }, targetType: 'message', targetId: sent.messageId, summary: 'Sent a plain SMS past the PHI warning (flagged: lab, medication)' });
    expect(events[0]!.createdAt).toBeInstanceOf(Date);
    const stored = await server.db.prisma.auditEvent.findMany({ where: { orgId: clinic.org.id, action: 'message.phi_override' } });
    expect(stored[0]!.data).toEqual({ patterns: ['lab', 'medication'], conversationId: clinic.conversationId });
    // Whole words: the rows' ids are hex and can hold "a1c" (a UUID did, once, in CI).
    expect(JSON.stringify(stored)).not.toMatch(/\bA1c\b|metformin|500 mg/i);

    // A text the guard does not flag leaves no override record.
    await clinic.member.api.conversations.send.mutate({ conversationId: clinic.conversationId, body: 'See you Tuesday.', confirmPhi: true });
    expect((await clinic.owner.api.audit.list.query({ action: 'message.phi_override' })).events).toHaveLength(1);
  });
});

describe("quiet hours follow the patient's time zone", () => {
  it('org in New York, patient in Honolulu: the decision follows the patient both ways', async () => {
    const clinic = await smsClinic(server, nextPhone(), 'Zones Clinic');
    await clinic.owner.api.orgs.update.mutate({ name: 'Zones Clinic', timeZone: 'America/New_York' });
    await clinic.member.api.patients.update.mutate({ patientId: clinic.patient.id, timeZone: 'Pacific/Honolulu' });

    // 22:00 in New York (quiet there) is 16:00 in Honolulu (not quiet for the patient): it sends.
    await advanceToLocal(22, 0, 'America/New_York');
    expect(localParts(server.clock.now(), 'Pacific/Honolulu').hour).toBe(16);
    const evening = await clinic.member.api.conversations.send.mutate({ conversationId: clinic.conversationId, body: 'Afternoon in Honolulu' });
    expect(evening.sendAfter).toBeNull();
    await reaches(server, evening.messageId, ['delivered']);

    // 10:00 in New York (not quiet there) is 04:00 in Honolulu (quiet for the patient): it asks.
    await advanceToLocal(10, 0, 'America/New_York');
    expect(localParts(server.clock.now(), 'Pacific/Honolulu').hour).toBe(4);
    const asked = await errorOf(clinic.member.api.conversations.send.mutate({ conversationId: clinic.conversationId, body: 'Early in Honolulu' }));
    expect(asked.code).toBe('PRECONDITION_FAILED');
    expect(asked.message).toContain('Pacific/Honolulu');
    const held = await clinic.member.api.conversations.send.mutate({ conversationId: clinic.conversationId, body: 'Early in Honolulu', quietHours: 'schedule' });
    expect(localParts(held.sendAfter!, 'Pacific/Honolulu')).toMatchObject({ hour: 8, minute: 0 });
  });
});

describe('reading a conversation changes nothing but the audit log (item 7)', () => {
  it('get leaves the unread count; markRead clears it, for team members only', async () => {
    const clinic = await smsClinic(server, nextPhone(), 'Reads Clinic');
    await server.simulator!.simulateInbound({ from: clinic.patient.phone!, to: clinic.number.e164, body: 'Unread reply' });
    const unread = async () => (await server.db.prisma.conversation.findUniqueOrThrow({ where: { id: clinic.conversationId } })).unreadCount;
    expect(await unread()).toBe(1);
    expect((await clinic.member.api.conversations.get.query({ conversationId: clinic.conversationId })).unreadCount).toBe(1);
    expect(await unread()).toBe(1);
    expect((await clinic.owner.api.audit.list.query({ action: 'conversation.viewed' })).events.some((e) => e.targetId === clinic.conversationId)).toBe(true);

    expect((await errorOf(clinic.admin.api.conversations.markRead.mutate({ conversationId: clinic.conversationId }))).code).toBe('FORBIDDEN');
    const stranger = await orgWithStaff(server, 'Reads Stranger');
    expect((await errorOf(stranger.owner.api.conversations.markRead.mutate({ conversationId: clinic.conversationId }))).code).toBe('NOT_FOUND');
    expect(await unread()).toBe(1);
    await clinic.member.api.conversations.markRead.mutate({ conversationId: clinic.conversationId });
    expect(await unread()).toBe(0);
  });
});

describe('live events carry message text, so they reach only the team', () => {
  type Seen = { type: string; body?: string };
  type Handlers = { onStarted(): void; onData(event: unknown): void };

  /** A live subscription's deliveries (with the message text where there is one). */
  function watch(subscribe: (handlers: Handlers) => { unsubscribe(): void }) {
    const seen: Seen[] = [];
    const waiting: { until: (s: Seen[]) => boolean; resolve: () => void }[] = [];
    let started!: () => void;
    const ready = new Promise<void>((resolve) => (started = resolve));
    const sub = subscribe({
      onStarted: () => started(),
      onData(e) {
        const event = e as { type: string; message?: { body?: string } };
        seen.push({ type: event.type, body: event.message?.body });
        for (const w of waiting.filter((w) => w.until(seen))) w.resolve();
      },
    });
    return {
      seen,
      ready,
      until: (until: (s: Seen[]) => boolean) => (until(seen) ? Promise.resolve() : new Promise<void>((resolve) => waiting.push({ until, resolve }))),
      stop: () => sub.unsubscribe(),
    };
  }
  const conversationKinds = (seen: Seen[]) => seen.filter((s) => s.type.startsWith('message.') || s.type.startsWith('conversation.'));

  it("an admin off the team, the org-wide stream and another org get none of a team's messages; joining the team starts them", async () => {
    const clinic = await smsClinic(server, nextPhone(), 'Live Clinic');
    const other = await smsClinic(server, nextPhone(), 'Live Other');
    const member = watch((h) => clinic.member.api.conversations.events.subscribe({}, h));
    const admin = watch((h) => clinic.admin.api.conversations.events.subscribe({}, h)); // an admin, but not on Front Desk
    const orgWide = watch((h) => clinic.member.api.orgs.events.subscribe(undefined, h));
    const otherOrg = watch((h) => other.member.api.conversations.events.subscribe({}, h));
    await Promise.all([member.ready, admin.ready, orgWide.ready, otherOrg.ready]);

    await server.simulator!.simulateInbound({ from: clinic.patient.phone!, to: clinic.number.e164, body: 'Running late, sorry' });
    await member.until((seen) => seen.some((s) => s.body === 'Running late, sorry'));

    // Events arrive in order: whatever each stream sees after this point came after the reply.
    const adminId = (await clinic.admin.api.auth.me.query())!.user.id;
    await clinic.owner.api.teams.addMember.mutate({ teamId: clinic.team.id, userId: adminId });
    await orgWide.until((seen) => seen.some((s) => s.type === 'teams.changed'));
    await server.simulator!.simulateInbound({ from: other.patient.phone!, to: other.number.e164, body: 'Other clinic reply' });
    await otherOrg.until((seen) => seen.some((s) => s.body === 'Other clinic reply'));
    await server.simulator!.simulateInbound({ from: clinic.patient.phone!, to: clinic.number.e164, body: 'Now on the team' });
    await admin.until((seen) => seen.some((s) => s.body === 'Now on the team'));

    expect(conversationKinds(admin.seen)[0]).toEqual({ type: 'message.created', body: 'Now on the team' });
    expect(admin.seen.some((s) => s.body === 'Running late, sorry')).toBe(false);
    expect(conversationKinds(orgWide.seen)).toEqual([]);
    expect(otherOrg.seen.map((s) => s.body).filter(Boolean)).toEqual(['Other clinic reply']);
    for (const w of [member, admin, orgWide, otherOrg]) w.stop();
  });

  it('a subscription scoped to one team gets only that team, even when the caller is on others', async () => {
    const clinic = await smsClinic(server, nextPhone(), 'Live Scoped');
    const billing = await clinic.owner.api.teams.create.mutate({ name: 'Billing' });
    const ownerId = (await clinic.owner.api.auth.me.query())!.user.id;
    await clinic.owner.api.teams.addMember.mutate({ teamId: billing.id, userId: ownerId });
    const scoped = watch((h) => clinic.owner.api.conversations.events.subscribe({ teamId: billing.id }, h));
    const all = watch((h) => clinic.owner.api.conversations.events.subscribe({}, h));
    await Promise.all([scoped.ready, all.ready]);
    await server.simulator!.simulateInbound({ from: clinic.patient.phone!, to: clinic.number.e164, body: 'For the front desk' });
    await all.until((seen) => seen.some((s) => s.body === 'For the front desk'));
    // The owner reading it clears the badge for everyone on Front Desk; Billing hears of neither.
    await clinic.owner.api.conversations.markRead.mutate({ conversationId: clinic.conversationId });
    await all.until((seen) => seen.some((s) => s.type === 'conversation.updated'));
    await clinic.owner.api.teams.removeMember.mutate({ teamId: billing.id, userId: ownerId });
    await scoped.until((seen) => seen.some((s) => s.type === 'access.revoked'));
    expect(scoped.seen).toEqual([{ type: 'access.revoked', body: undefined }]);
    all.stop();
  });
});
