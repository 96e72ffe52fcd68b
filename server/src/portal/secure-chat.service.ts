import { Inject, Injectable, Logger } from '@nestjs/common';
import { isQuietTime, MAX_SEND_BODY, STATUS_RANK, nextSendTime, renderTemplate, type SecureNotification, type SendMessageInput, smsSegments } from '@caretext/shared';
import { TRPCError } from '@trpc/server';
import { AccessService, type Actor, type ConversationScope } from '../access/access.service.js';
import { AttachmentsService } from '../attachments/attachments.service.js';
import { AuditService } from '../audit/audit.service.js';
import { newSecretToken } from '../auth/tokens.js';
import { CLOCK, type Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import { EventBus } from '../events/event-bus.js';
import type { Attachment, Conversation, Message, Org, Patient, PhoneNumber, Prisma } from '../generated/prisma/client.js';
import { CONFIG, DATABASE } from '../injection-tokens.js';
import { MailService } from '../mail/mail.service.js';
import { lastMessage, messageCreated } from '../messages/message-events.js';
import { SendWorker } from '../messages/send-worker.js';
import { SmsEligibility } from '../messages/sms-eligibility.js';
import { noticeText, PORTAL_LINK_NOTICE, PORTAL_TOKEN_PLACEHOLDER, withPortalToken } from './portal-link-text.js';


/** How the patient will hear of a secure message, decided before anything is stored. */
type NotifyPlan = { via: 'sms'; number: PhoneNumber; to: string } | { via: 'email'; to: string };

/**
 * Secure Chat, staff side: a message stored on our server for one patient, who gets a portal
 * link (never the content) by SMS from the team's number when they can get SMS, else by email.
 *
 * Where it lives: a team with a number keeps ONE thread per patient, the SMS conversation of
 * (number, patient); secure messages go there beside the texts, so staff read one history and
 * the notification SMS (a queued message of that thread) goes out through the normal send path.
 * A team without a number has a `kind: 'secure'` conversation per patient instead (unique per
 * team and patient, a partial index). The portal shows only a conversation's secure messages.
 */
@Injectable()
export class SecureChatService {
  private readonly logger = new Logger('SecureChat');

  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CONFIG) private readonly config: Config,
    private readonly access: AccessService,
    private readonly audit: AuditService,
    private readonly eligibility: SmsEligibility,
    private readonly events: EventBus,
    private readonly worker: SendWorker,
    private readonly mail: MailService,
    private readonly attachments: AttachmentsService,
  ) {}

  /** `conversations.send` with `channel: 'secure'` (MessagingService hands it here). */
  async send(actor: Actor, input: SendMessageInput): Promise<{ duplicate: boolean; message: Message; notification?: SecureNotification }> {
    let conversation: Conversation;
    if (input.conversationId) {
      conversation = await this.namedConversation(actor, input.conversationId);
    } else {
      const team = await this.access.requireTeamMember(actor, input.teamId ?? '');
      const patient = await this.db.prisma.patient.findFirst({ where: { id: input.patientId ?? '', orgId: actor.orgId } });
      if (!patient) throw new TRPCError({ code: 'NOT_FOUND', message: 'Patient not found.' });
      if (input.idempotencyKey) {
        const earlier = await this.db.prisma.message.findFirst({
          where: { orgId: actor.orgId, senderId: actor.userId, idempotencyKey: input.idempotencyKey, conversation: { patientId: patient.id, teamId: team.id } },
        });
        if (earlier) return { duplicate: true, message: earlier };
      }
      conversation = await this.patientConversation(actor.orgId, team.id, patient.id);
    }
    const sendKey = input.idempotencyKey ? { orgId: actor.orgId, conversationId: conversation.id, senderId: actor.userId, idempotencyKey: input.idempotencyKey } : null;
    if (sendKey) {
      const existing = await this.db.prisma.message.findUnique({ where: { sendKey } });
      if (existing) return { duplicate: true, message: existing };
    }
    const [org, patient] = await Promise.all([
      this.db.prisma.org.findUniqueOrThrow({ where: { id: actor.orgId } }),
      this.db.prisma.patient.findUniqueOrThrow({ where: { id: conversation.patientId! } }),
    ]);
    const body = renderTemplate(input.body, {
      patient: {
        id: patient.id,
        firstName: patient.firstName ?? undefined,
        lastName: patient.lastName ?? undefined,
        preferredName: patient.preferredName ?? undefined,
        dob: patient.dob ?? undefined,
        phone: patient.phone ?? undefined,
        email: patient.email ?? undefined,
      },
      org: { name: org.name },
    }).trim();
    const fileIds = [...new Set(input.attachmentIds ?? [])];
    if (!body && !fileIds.length) throw new TRPCError({ code: 'BAD_REQUEST', message: 'Write a message or attach a file first.' });
    if (body.length > MAX_SEND_BODY) throw new TRPCError({ code: 'BAD_REQUEST', message: `The message is ${body.length} characters; the limit is ${MAX_SEND_BODY}.` });
    const plan = await this.notifyPlan(org, patient, conversation);

    const now = this.clock.now();
    let created: { message: Message; notice: Message | null; token: string | null; files: Attachment[] };
    try {
      created = await this.db.prisma.$transaction(async (tx) => {
        const message = await tx.message.create({
          data: {
            orgId: actor.orgId,
            conversationId: conversation.id,
            direction: 'outbound',
            channel: 'secure',
            body,
            // Stored is sent: there is no carrier leg. The patient opening it sets readAt.
            status: 'sent',
            statusRank: STATUS_RANK.sent!,
            senderId: actor.userId,
            idempotencyKey: input.idempotencyKey,
            sentAt: now,
            createdAt: now,
          },
        });
        // The files go with the message or the send fails: only this conversation's uploads, not yet sent, not recalled.
        const taken = await this.attachments.attachToMessage(conversation, message.id, fileIds, tx);
        if (taken !== fileIds.length) {
          throw new TRPCError({ code: 'BAD_REQUEST', message: 'One of the files cannot be sent with this message: it was already sent, recalled, or uploaded to another conversation. Remove it and attach it again.' });
        }
        const files = fileIds.length ? await tx.attachment.findMany({ where: { messageId: message.id }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] }) : [];
        await tx.conversation.update({ where: { id: conversation.id }, data: { lastMessageAt: now, lastMessagePreview: 'Secure message' } });
        await this.audit.record(actor, { action: 'message.sent', summary: files.length ? `Sent a secure message with ${files.length} file${files.length === 1 ? '' : 's'}` : 'Sent a secure message', targetType: 'message', targetId: message.id, data: { conversationId: conversation.id, channel: 'secure', attachmentIds: fileIds } }, tx);
        const { notice, token } = await this.newLink(tx, actor, org, patient, conversation, plan);
        return { message, notice, token, files };
      });
    } catch (error) {
      if (sendKey && (error as { code?: string }).code === 'P2002') {
        return { duplicate: true, message: await this.db.prisma.message.findUniqueOrThrow({ where: { sendKey } }) };
      }
      throw error;
    }
    // The inbox row shows "Secure message", never the content (it reaches lock screens and lists).
    this.events.publish(actor.orgId, messageCreated(created.message, conversation, { lastMessageAt: now, lastMessagePreview: 'Secure message' }, created.files));
    const notification = await this.deliver(actor.orgId, conversation, org, plan, created.notice, created.token);
    return { duplicate: false, message: created.message, notification };
  }

  /**
   * "Resend link": a new link for the conversation's patient, sent the same way as for a new
   * message; every earlier link of the conversation stops working.
   */
  async resendLink(actor: Actor, { conversation }: ConversationScope): Promise<{ notification: SecureNotification }> {
    if (!conversation.patientId) throw new TRPCError({ code: 'BAD_REQUEST', message: 'This conversation has no patient to send a link to.' });
    const [org, patient] = await Promise.all([
      this.db.prisma.org.findUniqueOrThrow({ where: { id: actor.orgId } }),
      this.db.prisma.patient.findUniqueOrThrow({ where: { id: conversation.patientId } }),
    ]);
    const plan = await this.notifyPlan(org, patient, conversation);
    const { notice, token } = await this.db.prisma.$transaction((tx) => this.newLink(tx, actor, org, patient, conversation, plan));
    return { notification: await this.deliver(actor.orgId, conversation, org, plan, notice, token) };
  }

  /**
   * Whether the patient may reply from the portal in this conversation (on by default). Any staff
   * member of the conversation's team decides; audited. The portal reads it on each view and on
   * each reply, so a reply sent after it was turned off is refused ("replies_off").
   */
  async setReplies(actor: Actor, { conversation }: ConversationScope, enabled: boolean): Promise<{ repliesEnabled: boolean }> {
    if (!conversation.patientId) throw new TRPCError({ code: 'BAD_REQUEST', message: 'Only a conversation with a patient has portal replies.' });
    if (conversation.repliesEnabled === enabled) return { repliesEnabled: enabled };
    await this.db.prisma.$transaction(async (tx) => {
      await tx.conversation.update({ where: { id: conversation.id }, data: { repliesEnabled: enabled } });
      await this.audit.record(actor, { action: 'conversation.replies_changed', summary: enabled ? 'Turned portal replies on' : 'Turned portal replies off', targetType: 'conversation', targetId: conversation.id, data: { enabled } }, tx);
    });
    return { repliesEnabled: enabled };
  }

  /** A conversation named by id: this org's, on a team of the caller, with a patient. */
  private async namedConversation(actor: Actor, conversationId: string): Promise<Conversation> {
    const conversation = await this.db.prisma.conversation.findFirst({ where: { id: conversationId, orgId: actor.orgId } });
    if (!conversation) throw new TRPCError({ code: 'NOT_FOUND', message: 'Conversation not found.' });
    await this.access.requireTeamMember(actor, conversation.teamId);
    if (!conversation.patientId || (conversation.kind !== 'sms' && conversation.kind !== 'secure')) {
      throw new TRPCError({ code: 'BAD_REQUEST', message: 'Secure Chat goes to a patient: this conversation has none.' });
    }
    return conversation;
  }

  /**
   * The team's one thread with the patient: its SMS conversation when it has a number, else its
   * secure one (created when missing). Team and patient are the caller's to check.
   */
  async patientConversation(orgId: string, teamId: string, patientId: string): Promise<Conversation> {
    const number = await this.eligibility.teamNumber(orgId, teamId);
    const now = this.clock.now();
    if (number) {
      const where = { phoneNumberId_patientId_kind: { phoneNumberId: number.id, patientId, kind: 'sms' } };
      return this.db.prisma.conversation
        .upsert({ where, create: { orgId, teamId, kind: 'sms', phoneNumberId: number.id, patientId, lastMessageAt: now }, update: {} })
        .catch(async (error: { code?: string }) => {
          if (error.code === 'P2002') return this.db.prisma.conversation.findUniqueOrThrow({ where });
          throw error;
        });
    }
    const existing = await this.db.prisma.conversation.findFirst({ where: { orgId, teamId, patientId, kind: 'secure' } });
    if (existing) return existing;
    return this.db.prisma.conversation.create({ data: { orgId, teamId, kind: 'secure', patientId, lastMessageAt: now } }).catch(async (error: { code?: string }) => {
      // Two first sends at once: the partial unique index lets one win.
      if (error.code === 'P2002') return this.db.prisma.conversation.findFirstOrThrow({ where: { orgId, teamId, patientId, kind: 'secure' } });
      throw error;
    });
  }

  /** SMS from the conversation's own (active) number when the patient can get SMS; else email; else the send is refused, saying why. */
  private async notifyPlan(org: Org, patient: Patient, conversation: Conversation): Promise<NotifyPlan> {
    if (!patient.dob) {
      throw new TRPCError({ code: 'PRECONDITION_FAILED', message: "Add the patient's date of birth first: the portal asks for it before it shows anything." });
    }
    let smsProblem = 'This team has no phone number.';
    if (conversation.phoneNumberId) {
      const number = await this.db.prisma.phoneNumber.findUnique({ where: { id: conversation.phoneNumberId } });
      if (number && number.status === 'active' && number.orgId === org.id) {
        const blocker = this.eligibility.orgBlocker(org) ?? (await this.eligibility.patientBlocker(patient, number));
        if (!blocker) return { via: 'sms', number, to: patient.phone! };
        smsProblem = blocker.message;
      } else {
        smsProblem = "This conversation's number was released.";
      }
    }
    if (patient.email && !patient.emailSuppressedAt) return { via: 'email', to: patient.email };
    throw new TRPCError({
      code: 'PRECONDITION_FAILED',
      message: `The patient cannot be told about a secure message: no SMS (${smsProblem}) and no email address. Add a mobile number or an email to their profile.`,
    });
  }

  /**
   * Replaces the conversation's links: earlier links stop working now. By email, the new link
   * is made here and its token returned (it exists in clear only on its way to the patient). By
   * SMS, the notice is queued in the same transaction with a placeholder where the link goes;
   * the send worker makes the link as it sends the text (portal-link-mint.ts), so no usable
   * token is ever stored, queued or sent.
   */
  private async newLink(tx: Prisma.TransactionClient, actor: Actor, org: Org, patient: Patient, conversation: Conversation, plan: NotifyPlan) {
    const now = this.clock.now();
    await tx.portalLink.updateMany({ where: { conversationId: conversation.id, replacedAt: null }, data: { replacedAt: now } });
    const audit = (data: Record<string, string>) =>
      this.audit.record(actor, { action: 'portal.link_sent', summary: `Sent a secure portal link by ${plan.via === 'sms' ? 'SMS' : 'email'}`, targetType: 'conversation', targetId: conversation.id, data: { ...data, via: plan.via } }, tx);
    if (plan.via !== 'sms') {
      const { token, hash } = newSecretToken();
      const link = await tx.portalLink.create({
        data: { orgId: org.id, conversationId: conversation.id, patientId: patient.id, tokenHash: hash, expiresAt: new Date(now.getTime() + org.secureLinkExpiryHours * 3_600_000), createdById: actor.userId, createdAt: now },
      });
      await audit({ linkId: link.id });
      return { notice: null, token };
    }
    const body = noticeText(org.name, this.config.publicUrl.replace(/\/+$/, '') + PORTAL_TOKEN_PLACEHOLDER);
    const quiet = { start: org.quietHoursStart, end: org.quietHoursEnd, timeZone: patient.timeZone ?? org.timeZone };
    const sendAfter = org.quietHoursEnabled && isQuietTime(now, quiet) ? nextSendTime(now, quiet) : null;
    // Counted with a token's length in the link, as the patient's phone will count it.
    const segments = smsSegments(withPortalToken(body, newSecretToken().token));
    const notice = await tx.message.create({
      data: {
        orgId: org.id,
        conversationId: conversation.id,
        direction: 'outbound',
        channel: 'sms',
        body,
        status: 'queued',
        statusRank: 0,
        fromNumber: plan.number.e164,
        toNumber: plan.to,
        segments: segments.segments,
        encoding: segments.encoding,
        sendAfter,
        automated: true,
        autoReply: PORTAL_LINK_NOTICE,
        createdAt: now,
      },
    });
    await audit({ noticeId: notice.id });
    return { notice, token: null };
  }

  /** After the commit: the SMS notice is announced and sent by the worker; an email goes now. */
  private async deliver(orgId: string, conversation: Conversation, org: Org, plan: NotifyPlan, notice: Message | null, token: string | null): Promise<SecureNotification> {
    if (plan.via === 'sms' && notice) {
      this.events.publish(orgId, messageCreated(notice, conversation, lastMessage(notice)));
      this.worker.wake();
      return { via: 'sms', to: plan.to, sendAfter: notice.sendAfter };
    }
    const url = this.linkUrl(token!);
    try {
      await this.mail.send({
        to: plan.to,
        subject: `${org.name}: you have a new secure message`,
        text: `${org.name} sent you a secure message.\n\nOpen it here: ${url}\n\nYou will be asked for your date of birth. The link works for ${org.secureLinkExpiryHours} hours; if it has expired, ask ${org.name} to send a new one.`,
      });
      return { via: 'email', to: plan.to };
    } catch (error) {
      this.logger.error(`portal link email failed: ${(error as Error).message}`);
      return { via: 'none', reason: 'The message is saved, but the email with the link could not be sent. Use "Resend link" to try again.' };
    }
  }

  private linkUrl(token: string): string {
    return `${this.config.publicUrl.replace(/\/+$/, '')}/p/${token}`;
  }
}
