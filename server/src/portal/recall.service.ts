import { Inject, Injectable } from '@nestjs/common';
import type { MessageAttachment } from '@caretext/shared';
import { TRPCError } from '@trpc/server';
import { AccessService, type Actor } from '../access/access.service.js';
import { AttachmentsService, type PortalContext } from '../attachments/attachments.service.js';
import { AuditService } from '../audit/audit.service.js';
import { CLOCK, type Clock } from '../clock.js';
import type { Database } from '../db/database.js';
import { EventBus } from '../events/event-bus.js';
import type { Message } from '../generated/prisma/client.js';
import { DATABASE } from '../injection-tokens.js';
import { attachmentView, messageState } from '../messages/message-events.js';

/** What an admin's retrieval shows: the recalled text and files, each file with a fresh link. */
export type RetrievedContent = {
  messageId: string;
  body: string;
  recalledAt: Date | null;
  recalledBy: string | null;
  attachments: (MessageAttachment & { url: string; expiresAt: Date })[];
};

/**
 * Recall of Secure Chat: the sender takes back a message (with its files) or one file; the
 * conversation's participants (other staff, the patient in the portal) then see "Message
 * recalled" and the files are no longer served. An SMS cannot be recalled: it reached the phone.
 * Org admins on the conversation's team can still read recalled content; each read is audited.
 */
@Injectable()
export class RecallService {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly access: AccessService,
    private readonly audit: AuditService,
    private readonly events: EventBus,
    private readonly attachments: AttachmentsService,
  ) {}

  /** The sender recalls their secure message and every file on it. */
  async recallMessage(actor: Actor, messageId: string): Promise<{ recalled: true }> {
    const message = await this.staffMessage(actor, messageId);
    if (message.direction !== 'outbound' || message.senderId !== actor.userId) {
      throw new TRPCError({ code: 'FORBIDDEN', message: 'Only the person who sent a message can recall it.' });
    }
    await this.recall(message, { orgId: actor.orgId, userId: actor.userId, ip: actor.ip }, 'Recalled a secure message');
    return { recalled: true };
  }

  /** The sender recalls one file of their secure message (the text stays). */
  async recallAttachment(actor: Actor, attachmentId: string): Promise<{ recalled: true }> {
    const file = await this.db.prisma.attachment.findFirst({ where: { id: attachmentId, orgId: actor.orgId } });
    if (!file) throw new TRPCError({ code: 'NOT_FOUND', message: 'File not found.' });
    await this.access.requireConversation(actor, file.conversationId);
    if (file.uploadedBy !== 'staff' || file.uploadedById !== actor.userId) {
      throw new TRPCError({ code: 'FORBIDDEN', message: 'Only the person who sent a file can recall it.' });
    }
    if (file.recalledAt) return { recalled: true };
    const now = this.clock.now();
    await this.db.prisma.$transaction(async (tx) => {
      await tx.attachment.updateMany({ where: { id: file.id, recalledAt: null }, data: { recalledAt: now, recalledById: actor.userId } });
      await this.audit.record(actor, { action: 'attachment.recalled', summary: `Recalled the file ${file.fileName}`, targetType: 'attachment', targetId: file.id, data: { conversationId: file.conversationId, messageId: file.messageId } }, tx);
    });
    if (file.messageId) await this.publish(file.messageId);
    return { recalled: true };
  }

  /** The patient recalls their own portal reply (the portal service checked the link and the device). */
  async recallForPatient(portal: PortalContext, messageId: string): Promise<boolean> {
    const message = await this.db.prisma.message.findFirst({ where: { id: messageId, orgId: portal.orgId, conversationId: portal.conversationId, channel: 'secure', direction: 'inbound' } });
    if (!message) return false;
    await this.recall(message, { orgId: portal.orgId, userId: null, ip: portal.ip }, 'The patient recalled their secure reply');
    return true;
  }

  /**
   * An org admin (owner or admin) on the conversation's team reads a recalled message: its text
   * and files (links that work only for them). Audited each time; plain members are refused.
   */
  async retrieve(actor: Actor, messageId: string): Promise<RetrievedContent> {
    const message = await this.db.prisma.message.findFirst({ where: { id: messageId, orgId: actor.orgId } });
    if (!message) throw new TRPCError({ code: 'NOT_FOUND', message: 'Message not found.' });
    await this.access.requireConversation(actor, message.conversationId);
    this.access.requireAdmin(actor);
    const files = await this.db.prisma.attachment.findMany({ where: { orgId: actor.orgId, messageId: message.id }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
    const recalledFiles = message.recalledAt ? files : files.filter((f) => f.recalledAt);
    if (!message.recalledAt && !recalledFiles.length) throw new TRPCError({ code: 'BAD_REQUEST', message: 'Nothing of this message was recalled.' });
    await this.audit.record(actor, {
      action: 'recall.retrieved',
      summary: message.recalledAt ? 'Retrieved a recalled secure message' : `Retrieved ${recalledFiles.length} recalled file${recalledFiles.length === 1 ? '' : 's'}`,
      targetType: 'message',
      targetId: message.id,
      data: { conversationId: message.conversationId, attachmentIds: recalledFiles.map((f) => f.id) },
    });
    const by = message.recalledById ? await this.db.prisma.user.findUnique({ where: { id: message.recalledById }, select: { name: true } }) : null;
    const links = await Promise.all(recalledFiles.map((f) => this.attachments.linkForRetrieval(actor, f)));
    return {
      messageId: message.id,
      body: message.recalledAt ? message.body : '',
      recalledAt: message.recalledAt,
      recalledBy: message.recalledAt ? (by?.name ?? (message.direction === 'inbound' ? 'The patient' : 'A former member')) : null,
      attachments: recalledFiles.map((f, i) => ({ ...attachmentView(f), url: links[i]!.url, expiresAt: links[i]!.expiresAt })),
    };
  }

  /** A message of this org on a team of the caller's, which must be a secure one (an SMS cannot come back). */
  private async staffMessage(actor: Actor, messageId: string): Promise<Message> {
    const message = await this.db.prisma.message.findFirst({ where: { id: messageId, orgId: actor.orgId } });
    if (!message) throw new TRPCError({ code: 'NOT_FOUND', message: 'Message not found.' });
    await this.access.requireConversation(actor, message.conversationId);
    if (message.channel !== 'secure') {
      throw new TRPCError({ code: 'BAD_REQUEST', message: "A text message (SMS) reached the patient's phone when it was sent: it cannot be recalled. Only Secure Chat messages can." });
    }
    return message;
  }

  private async recall(message: Message, actor: { orgId: string; userId: string | null; ip: string | null }, summary: string): Promise<void> {
    if (message.recalledAt) return;
    const now = this.clock.now();
    const done = await this.db.prisma.$transaction(async (tx) => {
      const { count } = await tx.message.updateMany({ where: { id: message.id, recalledAt: null }, data: { recalledAt: now, recalledById: actor.userId } });
      if (!count) return false;
      await tx.attachment.updateMany({ where: { messageId: message.id, recalledAt: null }, data: { recalledAt: now, recalledById: actor.userId } });
      await this.audit.record(actor, { action: 'message.recalled', summary, targetType: 'message', targetId: message.id, data: { conversationId: message.conversationId } }, tx);
      return true;
    });
    if (done) await this.publish(message.id);
  }

  /** Open screens learn of the recall: the message as it is now (no content), with its files marked. */
  private async publish(messageId: string): Promise<void> {
    const m = await this.db.prisma.message.findUniqueOrThrow({ where: { id: messageId }, include: { conversation: { select: { teamId: true, patientId: true } }, attachments: { orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] } } });
    const { conversation, attachments, ...message } = m;
    const recalled = message.recalledAt !== null;
    this.events.publish(message.orgId, {
      type: 'message.updated',
      teamId: conversation.teamId,
      conversationId: message.conversationId,
      patientId: conversation.patientId,
      message: { ...messageState(message), recalled, attachments: recalled ? [] : attachments.map(attachmentView) },
      conversation: null,
    });
  }
}
