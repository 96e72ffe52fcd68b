import { createHash, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import { MAX_MESSAGE_ATTACHMENTS, MAX_SEND_BODY, STATUS_RANK, type PortalConversation, type PortalFile, type PortalFileResult, type PortalLinkState, type PortalMessage, type PortalReplyResult, type PortalVersion } from '@caretext/shared';
import { AttachmentsService, type PortalContext } from '../attachments/attachments.service.js';
import { AuditService } from '../audit/audit.service.js';
import { hashToken, newSecretToken } from '../auth/tokens.js';
import { CLOCK, type Clock } from '../clock.js';
import type { Database } from '../db/database.js';
import { EventBus, type MessageState } from '../events/event-bus.js';
import type { Attachment, Message, PortalLink } from '../generated/prisma/client.js';
import { RecallService } from './recall.service.js';
import { DATABASE } from '../injection-tokens.js';
import { lastMessage, messageCreated, messageState } from '../messages/message-events.js';

/** Wrong dates of birth in a row that lock a link, and for how long. */
export const MAX_TRIES = 3;
export const LOCK_MS = 60 * 60_000;
/** Wrong dates of birth (and unknown links) one address may try across all links per LOCK_MS. */
export const ADDRESS_FAILURES = 10;
/** A verified browser reads the patient's links without asking again for this long. */
export const DEVICE_MS = 30 * 24 * 3_600_000;

export type LinkState = PortalLinkState;

export type PortalRequest = { token: string; device: string | null; ip: string | null };

const DOB = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The patient portal: everything is keyed by the link's token (hashed, looked up) and, after
 * the date of birth matched, by the device cookie for that patient. A link reads only its own
 * conversation's secure messages, of its own org.
 */
@Injectable()
export class PortalService {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly audit: AuditService,
    private readonly events: EventBus,
    private readonly attachments: AttachmentsService,
    private readonly recalls: RecallService,
  ) {}

  /** The page loads: what to show (verify form, verified, or why the link no longer works). Audited. */
  async open(req: PortalRequest): Promise<LinkState> {
    const found = await this.link(req.token, req.ip);
    if ('state' in found) return found;
    const { link, org } = found;
    await this.audit.record({ orgId: link.orgId, userId: null, ip: req.ip }, { action: 'portal.opened', summary: 'A patient opened a secure portal link', targetType: 'conversation', targetId: link.conversationId, data: { linkId: link.id } });
    const closed = this.closedState(link, org);
    if (closed) return closed;
    if (await this.deviceVerified(link, req.device)) return { state: 'verified', org };
    return { state: 'verify', org, triesLeft: MAX_TRIES - Math.min(MAX_TRIES, this.lockExpired(link) ? 0 : link.failedAttempts) };
  }

  /**
   * A date of birth for the link. A try is reserved before the comparison (one statement), so
   * concurrent guesses cannot exceed three; the third wrong one locks the link for an hour and
   * tells staff in the conversation. Returns the device token to set as a cookie on success.
   */
  async verify(req: PortalRequest, dob: string): Promise<LinkState & { device?: { token: string; expires: Date } }> {
    const found = await this.link(req.token, req.ip);
    if ('state' in found) return found;
    const { link, org } = found;
    const closed = this.closedState(link, org);
    if (closed) return closed;
    const now = this.clock.now();
    const ip = req.ip ?? 'unknown';
    const blocked = await this.addressBlocked(ip, now);
    if (blocked) return blocked;
    const [reserved] = await this.db.sql.query<{ failedAttempts: number }>(
      `UPDATE "PortalLink"
          SET "failedAttempts" = CASE WHEN "lockedUntil" IS NOT NULL AND "lockedUntil" <= $2 THEN 1 ELSE "failedAttempts" + 1 END,
              "lockedUntil" = NULL
        WHERE id = $1 AND (("lockedUntil" IS NULL AND "failedAttempts" < $3) OR "lockedUntil" <= $2)
        RETURNING "failedAttempts"`,
      [link.id, now, MAX_TRIES],
    );
    if (!reserved) return { state: 'locked', org, until: (link.lockedUntil ?? new Date(now.getTime() + LOCK_MS)).toISOString() };
    const patient = await this.db.prisma.patient.findFirst({ where: { id: link.patientId, orgId: link.orgId }, select: { dob: true } });
    const actor = { orgId: link.orgId, userId: null, ip: req.ip };
    if (DOB.test(dob) && patient?.dob && sameText(patient.dob, dob)) {
      await this.db.prisma.portalLink.update({ where: { id: link.id }, data: { failedAttempts: 0 } });
      await this.db.prisma.portalAttempt.create({ data: { ip, linkId: link.id, success: true, createdAt: now } });
      const device = newSecretToken();
      const expires = new Date(now.getTime() + DEVICE_MS);
      await this.db.prisma.portalDevice.create({ data: { orgId: link.orgId, patientId: link.patientId, tokenHash: device.hash, expiresAt: expires, createdAt: now } });
      await this.audit.record(actor, { action: 'portal.verified', summary: 'A patient verified their date of birth on the portal', targetType: 'conversation', targetId: link.conversationId, data: { linkId: link.id } });
      return { state: 'verified', org, device: { token: device.token, expires } };
    }
    await this.db.prisma.portalAttempt.create({ data: { ip, linkId: link.id, success: false, createdAt: now } });
    const tries = reserved.failedAttempts;
    await this.audit.record(actor, { action: 'portal.verify_failed', summary: `Wrong date of birth on a portal link (${tries} of ${MAX_TRIES})`, targetType: 'conversation', targetId: link.conversationId, data: { linkId: link.id, tries } });
    if (tries < MAX_TRIES) return { state: 'wrong', org, triesLeft: MAX_TRIES - tries };
    const until = new Date(now.getTime() + LOCK_MS);
    await this.lock(link, until, req.ip);
    return { state: 'locked', org, until: until.toISOString() };
  }

  /** The conversation's secure messages, for a verified device; staff messages are marked read (and staff told, live). */
  async conversation(req: PortalRequest): Promise<LinkState | PortalConversation> {
    const access = await this.verifiedLink(req);
    if ('state' in access) return access;
    const { link, org } = access;
    // Before reading: a change made while this answer is built shows in the next poll's version.
    const version = await this.versionOf(link);
    const [conversation, patient, messages] = await Promise.all([
      this.db.prisma.conversation.findFirstOrThrow({ where: { id: link.conversationId, orgId: link.orgId } }),
      this.db.prisma.patient.findFirstOrThrow({ where: { id: link.patientId, orgId: link.orgId }, select: { firstName: true, preferredName: true } }),
      this.db.prisma.message.findMany({ where: { conversationId: link.conversationId, orgId: link.orgId, channel: 'secure' }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], take: 500 }),
    ]);
    const now = this.clock.now();
    const unread = messages.filter((m) => m.direction === 'outbound' && !m.readAt).map((m) => m.id);
    if (unread.length) {
      await this.db.prisma.message.updateMany({ where: { id: { in: unread }, readAt: null }, data: { readAt: now } });
      const read = await this.db.prisma.message.findMany({ where: { id: { in: unread } } });
      for (const m of read) {
        // readAt rides along with the state (MessageState has no field for it yet; clients read it when present).
        const state: MessageState & { readAt: Date | null } = { ...messageState(m), readAt: m.readAt };
        this.events.publish(m.orgId, { type: 'message.updated', teamId: conversation.teamId, conversationId: m.conversationId, patientId: conversation.patientId, message: state, conversation: null });
      }
    }
    const [senders, files] = await Promise.all([
      this.senderNames(messages),
      this.db.prisma.attachment.findMany({ where: { orgId: link.orgId, conversationId: link.conversationId, messageId: { in: messages.map((m) => m.id) }, recalledAt: null }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] }),
    ]);
    return {
      state: 'conversation',
      org,
      version,
      patientName: patient.preferredName ?? patient.firstName ?? '',
      repliesEnabled: conversation.repliesEnabled,
      messages: messages.map((m) => ({
        id: m.id,
        from: m.direction === 'inbound' ? 'patient' : 'clinic',
        sender: m.senderId ? (senders.get(m.senderId) ?? org) : null,
        // A recalled message shows as "Message recalled": neither its text nor its files reach the page.
        body: m.recalledAt ? '' : m.body,
        at: m.createdAt,
        readAt: unread.includes(m.id) ? now : m.readAt,
        recalled: m.recalledAt !== null,
        files: m.recalledAt ? [] : files.filter((f) => f.messageId === m.id).map(portalFile),
      })),
    };
  }

  /**
   * What the open page shows, as a short opaque string, for it to poll cheaply (no audit, no
   * read receipts): it changes when a secure message arrives, one is recalled (or one of its
   * files), or replies are turned on or off. The page reloads the conversation when it changes,
   * so a recall reaches it within seconds. Same checks as the conversation itself.
   */
  async version(req: PortalRequest): Promise<LinkState | PortalVersion> {
    const access = await this.verifiedLink(req);
    if ('state' in access) return access;
    return { state: 'version', version: await this.versionOf(access.link) };
  }

  /** The patient answers: an inbound secure message in the conversation, live for staff. */
  async reply(req: PortalRequest, text: string, attachmentIds: string[] = []): Promise<LinkState | PortalReplyResult> {
    const access = await this.verifiedLink(req);
    if ('state' in access) return access;
    const { link } = access;
    const body = text.trim();
    const fileIds = [...new Set(attachmentIds)];
    if (!body && !fileIds.length) return { state: 'invalid', message: 'Write a message or attach a file first.' };
    if (fileIds.length > MAX_MESSAGE_ATTACHMENTS) return { state: 'invalid', message: `Attach at most ${MAX_MESSAGE_ATTACHMENTS} files to one message.` };
    if (body.length > MAX_SEND_BODY) return { state: 'invalid', message: `Your message is ${body.length} characters; the limit is ${MAX_SEND_BODY}.` };
    const conversation = await this.db.prisma.conversation.findFirstOrThrow({ where: { id: link.conversationId, orgId: link.orgId } });
    if (!conversation.repliesEnabled) return { state: 'replies_off' };
    const now = this.clock.now();
    let written: { message: Message; unreadCount: number; files: Attachment[] };
    try {
      written = await this.db.prisma.$transaction(async (tx) => {
        const message = await tx.message.create({
          data: { orgId: link.orgId, conversationId: conversation.id, direction: 'inbound', channel: 'secure', body, status: 'received', statusRank: 0, createdAt: now },
        });
        // Only the patient's own uploads to this conversation, not yet sent (staff drafts are not theirs to send).
        const { count } = await tx.attachment.updateMany({
          where: { id: { in: fileIds }, orgId: link.orgId, conversationId: conversation.id, uploadedBy: 'patient', messageId: null, recalledAt: null },
          data: { messageId: message.id },
        });
        if (count !== fileIds.length) throw new FileRefused();
        const files = fileIds.length ? await tx.attachment.findMany({ where: { messageId: message.id }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] }) : [];
        const updated = await tx.conversation.update({
          where: { id: conversation.id },
          data: { lastMessageAt: now, lastMessagePreview: 'Secure message', unreadCount: { increment: 1 } },
        });
        return { message, unreadCount: updated.unreadCount, files };
      });
    } catch (error) {
      if (error instanceof FileRefused) return { state: 'invalid', message: 'One of your files could not be sent. Remove it, attach it again and send.' };
      throw error;
    }
    const { message, unreadCount, files } = written;
    this.events.publish(link.orgId, messageCreated(message, conversation, { ...lastMessage(message), lastMessagePreview: 'Secure message', unreadCount }, files));
    return { state: 'sent', message: { id: message.id, from: 'patient', sender: null, body: message.body, at: message.createdAt, readAt: null, recalled: false, files: files.map(portalFile) } };
  }

  /**
   * A short-lived link to one file of the conversation: a file on a secure message (not
   * recalled) or the patient's own upload. Staff uploads not yet sent are not the patient's.
   */
  async fileLink(req: PortalRequest, attachmentId: string): Promise<LinkState | PortalFileResult> {
    const access = await this.verifiedLink(req);
    if ('state' in access) return access;
    const { link } = access;
    const file = await this.db.prisma.attachment.findFirst({
      where: { id: attachmentId, orgId: link.orgId, conversationId: link.conversationId, OR: [{ uploadedBy: 'patient' }, { message: { channel: 'secure', recalledAt: null } }] },
    });
    if (!file) return { state: 'invalid', message: 'This file is not part of your conversation.' };
    if (file.recalledAt) return { state: 'recalled' };
    const made = await this.attachments.linkForPatient(this.portalContext(link, req), file.id);
    return { state: 'file', url: made.url, fileName: made.fileName };
  }

  /** The patient uploads a file for a reply (replies must be on); it is sent with the next reply naming it. */
  async upload(req: PortalRequest, rawName: string, body: Readable, declaredBytes?: number): Promise<LinkState | PortalFileResult | PortalReplyResult> {
    const access = await this.verifiedLink(req);
    if ('state' in access) return access;
    const { link } = access;
    const conversation = await this.db.prisma.conversation.findFirstOrThrow({ where: { id: link.conversationId, orgId: link.orgId } });
    if (!conversation.repliesEnabled) return { state: 'replies_off' };
    const file = await this.attachments.uploadForPatient(this.portalContext(link, req), rawName, body, declaredBytes);
    return { state: 'uploaded', file: { id: file.id, fileName: file.fileName, contentType: file.contentType, size: file.size } };
  }

  /** The patient recalls their own reply: staff see "Message recalled" (admins can still retrieve it). */
  async recall(req: PortalRequest, messageId: string): Promise<LinkState | PortalFileResult> {
    const access = await this.verifiedLink(req);
    if ('state' in access) return access;
    const done = await this.recalls.recallForPatient(this.portalContext(access.link, req), messageId);
    return done ? { state: 'recalled' } : { state: 'invalid', message: 'Only your own messages can be recalled.' };
  }

  /** Recalls only ever add (a message or file is never un-recalled), so counts and latest times are enough. */
  private async versionOf(link: PortalLink): Promise<string> {
    const [row] = await this.db.sql.query<Record<string, unknown>>(
      `SELECT count(*)::int AS messages, max(m."createdAt") AS "lastAt", count(m."recalledAt")::int AS "recalled", max(m."recalledAt") AS "lastRecalledAt",
              (SELECT count(*)::int FROM "Attachment" a WHERE a."conversationId" = $1 AND a."orgId" = $2 AND a."recalledAt" IS NOT NULL) AS "filesRecalled",
              (SELECT c."repliesEnabled" FROM "Conversation" c WHERE c.id = $1 AND c."orgId" = $2) AS "replies"
         FROM "Message" m
        WHERE m."conversationId" = $1 AND m."orgId" = $2 AND m.channel = 'secure'`,
      [link.conversationId, link.orgId],
    );
    return createHash('sha256').update(JSON.stringify(row ?? {})).digest('base64url').slice(0, 22);
  }

  private portalContext(link: PortalLink, req: PortalRequest): PortalContext {
    return { kind: 'patient', orgId: link.orgId, conversationId: link.conversationId, ip: req.ip };
  }

  /** The link for a token with its org's name, or the state that says it does not exist (counted against the address). */
  private async link(token: string, ip: string | null): Promise<{ link: PortalLink; org: string } | LinkState> {
    const now = this.clock.now();
    const blocked = await this.addressBlocked(ip ?? 'unknown', now);
    if (blocked) return blocked;
    const link = token.length >= 20 && token.length <= 100 ? await this.db.prisma.portalLink.findUnique({ where: { tokenHash: hashToken(token) } }) : null;
    if (!link) {
      await this.db.prisma.portalAttempt.create({ data: { ip: ip ?? 'unknown', linkId: null, success: false, createdAt: now } });
      return { state: 'not_found' };
    }
    const org = await this.db.prisma.org.findUniqueOrThrow({ where: { id: link.orgId }, select: { name: true } });
    return { link, org: org.name };
  }

  private async verifiedLink(req: PortalRequest): Promise<{ link: PortalLink; org: string } | LinkState> {
    const found = await this.link(req.token, req.ip);
    if ('state' in found) return found;
    const closed = this.closedState(found.link, found.org);
    if (closed) return closed;
    if (!(await this.deviceVerified(found.link, req.device))) return { state: 'verify', org: found.org, triesLeft: MAX_TRIES - (this.lockExpired(found.link) ? 0 : found.link.failedAttempts) };
    return found;
  }

  /** Replaced, expired or locked: the link shows nothing, only what to do. */
  private closedState(link: PortalLink, org: string): LinkState | null {
    const now = this.clock.now();
    if (link.replacedAt) return { state: 'replaced', org };
    if (link.expiresAt <= now) return { state: 'expired', org };
    if (link.lockedUntil && link.lockedUntil > now) return { state: 'locked', org, until: link.lockedUntil.toISOString() };
    return null;
  }

  private lockExpired(link: PortalLink): boolean {
    return Boolean(link.lockedUntil && link.lockedUntil <= this.clock.now());
  }

  private async deviceVerified(link: PortalLink, device: string | null): Promise<boolean> {
    if (!device || device.length > 100) return false;
    const row = await this.db.prisma.portalDevice.findUnique({ where: { tokenHash: hashToken(device) } });
    return Boolean(row && row.patientId === link.patientId && row.orgId === link.orgId && row.expiresAt > this.clock.now());
  }

  /** Too many failures from one address across links in the last hour: it waits, whichever link it tries. */
  private async addressBlocked(ip: string, now: Date): Promise<LinkState | null> {
    const since = new Date(now.getTime() - LOCK_MS);
    const failures = await this.db.prisma.portalAttempt.findMany({ where: { ip, success: false, createdAt: { gt: since } }, orderBy: { createdAt: 'asc' }, select: { createdAt: true } });
    if (failures.length < ADDRESS_FAILURES) return null;
    const until = new Date(failures[failures.length - ADDRESS_FAILURES]!.createdAt.getTime() + LOCK_MS);
    return { state: 'too_many_tries', until: until.toISOString() };
  }

  /** Locks the link and leaves a note for staff in the conversation (once per lock). */
  private async lock(link: PortalLink, until: Date, ip: string | null): Promise<void> {
    const now = this.clock.now();
    const note = await this.db.prisma.$transaction(async (tx) => {
      const locked = await tx.portalLink.updateMany({ where: { id: link.id, lockedUntil: null }, data: { lockedUntil: until } });
      if (!locked.count) return null;
      await this.audit.record({ orgId: link.orgId, userId: null, ip }, { action: 'portal.locked', summary: `A secure portal link was locked after ${MAX_TRIES} wrong dates of birth`, targetType: 'conversation', targetId: link.conversationId, data: { linkId: link.id, until: until.toISOString() } }, tx);
      return tx.message.create({
        data: {
          orgId: link.orgId,
          conversationId: link.conversationId,
          direction: 'system',
          channel: 'system',
          body: `The patient's secure link was locked after ${MAX_TRIES} wrong dates of birth. It unlocks in 60 minutes; "Resend link" sends a new one.`,
          status: 'sent',
          statusRank: STATUS_RANK.sent!,
          automated: true,
          createdAt: now,
        },
      });
    });
    if (!note) return;
    const conversation = await this.db.prisma.conversation.findUniqueOrThrow({ where: { id: link.conversationId } });
    this.events.publish(link.orgId, messageCreated(note, conversation, null));
  }

  private async senderNames(messages: Message[]): Promise<Map<string, string>> {
    const ids = [...new Set(messages.map((m) => m.senderId).filter((id): id is string => Boolean(id)))];
    const users = ids.length ? await this.db.prisma.user.findMany({ where: { id: { in: ids } }, select: { id: true, name: true } }) : [];
    return new Map(users.map((u) => [u.id, u.name]));
  }
}

class FileRefused extends Error {}

function portalFile(f: Attachment): PortalFile {
  return { id: f.id, fileName: f.fileName, contentType: f.contentType, size: f.size };
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
