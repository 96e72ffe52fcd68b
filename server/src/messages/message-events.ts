import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Database } from '../db/database.js';
import { type ConversationChange, CONVERSATIONS_CHANGED_CHUNK, EventBus, type MessageState, type NewMessage, type OrgEvent } from '../events/event-bus.js';
import type { MessageAttachment } from '@caretext/shared';
import { MEDIA_REF_PREFIX } from '../blasts/blast-image-refs.js';
import type { Attachment, Conversation, Message, Prisma } from '../generated/prisma/client.js';
import { DATABASE } from '../injection-tokens.js';

type Where = Pick<Conversation, 'teamId' | 'patientId'>;

/** What a `message.updated` event is made of (a row read by SQL needs these columns, no more). */
export type MessageStateRow = Pick<Message, 'id' | 'orgId' | 'conversationId' | 'direction' | 'status' | 'statusRank' | 'errorCode' | 'errorMessage' | 'requestsConfirmation' | 'confirmation' | 'answersMessageId' | 'sendAfter' | 'createdAt' | 'sentAt' | 'deliveredAt'>;

export function messageState(m: MessageStateRow): MessageState {
  return {
    id: m.id,
    direction: m.direction,
    status: m.status,
    statusRank: m.statusRank,
    errorCode: m.errorCode,
    errorMessage: m.errorMessage,
    requestsConfirmation: m.requestsConfirmation,
    confirmation: m.confirmation,
    answersMessageId: m.answersMessageId,
    sendAfter: m.sendAfter,
    createdAt: m.createdAt,
    sentAt: m.sentAt,
    deliveredAt: m.deliveredAt,
  };
}

/**
 * A message with its content as threads show it. A recalled message carries no body and no
 * files (only admins' `recall.retrieve` reads them); `files` are the message's attachments.
 */
export function newMessage(m: Message, files: Attachment[] = []): NewMessage {
  const recalled = Boolean(m.recalledAt);
  return {
    ...messageState(m),
    channel: m.channel,
    body: recalled ? '' : m.body,
    // A blast image's reference is no link: threads show it by a link minted for the reader (`images`).
    mediaUrls: m.mediaUrls.filter((u) => !u.startsWith(MEDIA_REF_PREFIX)),
    segments: m.segments,
    senderId: m.senderId,
    recalled,
    attachments: recalled ? [] : files.filter((a) => a.messageId === m.id).map(attachmentView),
  };
}

/** A file as threads show it: a recalled one keeps its place (marked), never its name's link. */
export function attachmentView(a: Attachment): MessageAttachment {
  return { id: a.id, fileName: a.fileName, contentType: a.contentType, size: a.size, recalled: Boolean(a.recalledAt) };
}

/** A message was written in a conversation; `conversation` says what it changed there (null: nothing). */
export function messageCreated(m: Message, where: Where, conversation: ConversationChange | null, files: Attachment[] = []): OrgEvent {
  return { type: 'message.created', teamId: where.teamId, conversationId: m.conversationId, patientId: where.patientId, message: newMessage(m, files), conversation };
}

/** The inbox row moves for a message (its time and first 140 characters), as the write did. */
export function lastMessage(m: Message): ConversationChange {
  return { lastMessageAt: m.createdAt, lastMessagePreview: m.body.slice(0, 140) };
}

/**
 * Tells each message's team what a statement just changed (status, error, confirmation), as
 * the messages are now: a re-read by id, so the SQL that moves statuses stays one statement
 * and a later change read here early only moves the client forward sooner.
 *
 * Never throws: the change is already durable, and a sender mid-batch must go on sending. A
 * lost event leaves a screen behind until its stream reconnects (clients re-read then).
 */
@Injectable()
export class MessageEvents {
  private readonly logger = new Logger('MessageEvents');

  constructor(
    @Inject(DATABASE) private readonly db: Database,
    private readonly events: EventBus,
  ) {}

  async changed(where: Prisma.MessageWhereInput): Promise<void> {
    await this.publishChanged(where).catch((error: Error) => this.logger.error(`message events: ${error.message}`));
  }

  /** A message's new state, already read (with its conversation's team and patient): published as is. */
  publishState(m: MessageStateRow, teamId: string, patientId: string | null): void {
    this.events.publish(m.orgId, { type: 'message.updated', teamId, conversationId: m.conversationId, patientId, message: messageState(m), conversation: null });
  }

  private async publishChanged(where: Prisma.MessageWhereInput): Promise<void> {
    const messages = await this.db.prisma.message.findMany({ where, include: { conversation: { select: { teamId: true, patientId: true } } } });
    for (const { conversation, ...m } of messages) this.publishState(m, conversation.teamId, conversation.patientId);
  }

  /**
   * A set-based write (a blast's enqueue) put new messages in these conversations: per team,
   * one `conversations.changed` per CONVERSATIONS_CHANGED_CHUNK ids, never one event per
   * message (a 50,000-recipient blast is 500 events, not 50,000). Call after the commit.
   */
  conversationsChanged(orgId: string, conversations: readonly { id: string; teamId: string }[]): void {
    const byTeam = new Map<string, Set<string>>();
    for (const c of conversations) {
      const ids = byTeam.get(c.teamId) ?? new Set<string>();
      byTeam.set(c.teamId, ids.add(c.id));
    }
    try {
      for (const [teamId, set] of byTeam) {
        const ids = [...set];
        for (let i = 0; i < ids.length; i += CONVERSATIONS_CHANGED_CHUNK) {
          this.events.publish(orgId, { type: 'conversations.changed', teamId, conversationIds: ids.slice(i, i + CONVERSATIONS_CHANGED_CHUNK) });
        }
      }
    } catch (error) {
      this.logger.error(`conversations changed event: ${(error as Error).message}`);
    }
  }

  /** The patient opted out of (or back in to) this conversation's number: its screens show the banner or drop it. */
  async optOutChanged(orgId: string, conversationId: string): Promise<void> {
    await this.publishOptOut(orgId, conversationId).catch((error: Error) => this.logger.error(`opt-out event: ${error.message}`));
  }

  private async publishOptOut(orgId: string, conversationId: string): Promise<void> {
    const conversation = await this.db.prisma.conversation.findFirst({ where: { id: conversationId, orgId } });
    if (!conversation?.phoneNumberId || !conversation.patientId) return;
    const patient = await this.db.prisma.patient.findUnique({ where: { id: conversation.patientId }, select: { phone: true } });
    const optOut = patient?.phone ? await this.db.prisma.smsOptOut.findUnique({ where: { phoneNumberId_phone: { phoneNumberId: conversation.phoneNumberId, phone: patient.phone } } }) : null;
    this.events.publish(orgId, {
      type: 'conversation.updated',
      teamId: conversation.teamId,
      conversationId,
      patientId: conversation.patientId,
      conversation: { optOut: optOut && { keyword: optOut.keyword, at: optOut.createdAt } },
    });
  }
}
