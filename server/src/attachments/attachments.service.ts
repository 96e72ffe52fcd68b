import { randomBytes } from 'node:crypto';
import type { ReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { TRPCError } from '@trpc/server';
import { AccessService, type Actor, type ConversationScope, isAdmin } from '../access/access.service.js';
import { AuditService } from '../audit/audit.service.js';
import { CLOCK, type Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import type { Attachment, Prisma } from '../generated/prisma/client.js';
import { HttpError } from '../http/session-actor.js';
import { CONFIG, DATABASE } from '../injection-tokens.js';
import { AttachmentStore, AttachmentTooLargeError } from './attachment-store.js';
import { ALLOWED_TYPES_TEXT, attachmentFileName, detectAllowedType, isImage } from './attachment-types.js';
import { DOWNLOAD_LINK_TTL_MS, DownloadLinks, type LinkParams, type Viewer } from './download-links.js';

/**
 * A patient acting through a verified portal link (the portal service checked the link and the
 * date of birth): the conversation that link opens, and nothing else.
 */
export type PortalContext = { readonly kind: 'patient'; readonly orgId: string; readonly conversationId: string; readonly ip: string | null };

/** What callers (the upload route, composers, the portal) get back about a file. */
export type AttachmentSummary = {
  id: string;
  conversationId: string;
  messageId: string | null;
  fileName: string;
  contentType: string;
  size: number;
  uploadedBy: 'staff' | 'patient';
  createdAt: Date;
  recalled: boolean;
};

export type DownloadLink = { url: string; expiresAt: Date; fileName: string; contentType: string; size: number };

export type OpenedDownload = { fileName: string; contentType: string; size: number; inline: boolean; stream: ReadStream };

/** One download audit event per viewer and file per window: an image re-shown is not a new disclosure. */
const DOWNLOAD_AUDIT_WINDOW_MS = 10 * 60_000;
/** Temporary files older than this were left by a crash mid-upload. */
const STALE_UPLOAD_MS = 60 * 60_000;
const SECRET_NAME = 'url-signing';

@Injectable()
export class AttachmentsService implements OnModuleInit {
  private readonly store: AttachmentStore;
  private links: Promise<DownloadLinks> | null = null;

  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly access: AccessService,
    private readonly audit: AuditService,
  ) {
    this.store = new AttachmentStore(config.attachmentsDir);
  }

  async onModuleInit(): Promise<void> {
    // File times are wall-clock times, whatever clock the rules run on.
    await this.store.sweepTemp(new Date(), STALE_UPLOAD_MS);
  }

  /**
   * Files uploaded but never sent (removed from the draft, the tab closed) and older than
   * `before`: their rows, then their bytes, are deleted (housekeeping). A send naming one of them
   * at that moment is refused, as for any file it cannot attach. Returns how many went.
   */
  async sweepUnsent(before: Date, batch = 500): Promise<number> {
    let total = 0;
    for (;;) {
      const gone = await this.db.sql.query<{ storageKey: string }>(
        `DELETE FROM "Attachment" WHERE id IN (SELECT id FROM "Attachment" WHERE "messageId" IS NULL AND "createdAt" < $1 LIMIT ${batch}) RETURNING "storageKey"`,
        [before],
      );
      for (const { storageKey } of gone) await this.store.remove(storageKey);
      total += gone.length;
      if (gone.length < batch) return total;
    }
  }

  /** Staff upload into a conversation of a team of theirs (checked before a byte is read). */
  async uploadAsStaff(actor: Actor, conversationId: string, rawName: string, body: Readable, declaredBytes?: number): Promise<AttachmentSummary> {
    await this.access.requireConversation(actor, conversationId);
    const attachment = await this.receive({ orgId: actor.orgId, conversationId, uploadedById: actor.userId }, rawName, body, declaredBytes);
    await this.audit.record(actor, { action: 'attachment.uploaded', summary: `Uploaded ${attachment.fileName} (${attachment.contentType}, ${attachment.size} bytes)`, targetType: 'attachment', targetId: attachment.id });
    return summary(attachment);
  }

  /** A patient's upload through the portal, into the conversation their verified link opens. */
  async uploadForPatient(portal: PortalContext, rawName: string, body: Readable, declaredBytes?: number): Promise<AttachmentSummary> {
    await this.requirePortalConversation(portal);
    const attachment = await this.receive({ orgId: portal.orgId, conversationId: portal.conversationId, uploadedById: null }, rawName, body, declaredBytes);
    await this.audit.record(
      { orgId: portal.orgId, userId: null, ip: portal.ip },
      { action: 'attachment.uploaded', summary: `The patient uploaded ${attachment.fileName} (${attachment.contentType}, ${attachment.size} bytes) through the portal`, targetType: 'attachment', targetId: attachment.id },
    );
    return summary(attachment);
  }

  /** A fresh signed download link for a staff member on the file's team. */
  async linkForStaff(actor: Actor, attachmentId: string): Promise<DownloadLink> {
    const attachment = await this.db.prisma.attachment.findFirst({ where: { id: attachmentId, orgId: actor.orgId } });
    if (!attachment) throw new TRPCError({ code: 'NOT_FOUND', message: 'File not found.' });
    await this.access.requireConversation(actor, attachment.conversationId);
    return this.link(attachment, { kind: 'staff', userId: actor.userId });
  }

  /** A fresh signed download link for the patient, for a file of the conversation their portal link opens. */
  async linkForPatient(portal: PortalContext, attachmentId: string): Promise<DownloadLink> {
    const attachment = await this.db.prisma.attachment.findFirst({ where: { id: attachmentId, orgId: portal.orgId, conversationId: portal.conversationId } });
    if (!attachment) throw new TRPCError({ code: 'NOT_FOUND', message: 'File not found.' });
    return this.link(attachment, { kind: 'patient', conversationId: portal.conversationId });
  }

  /**
   * The files of a conversation, oldest first, for a staff member on its team (a scope only
   * AccessService makes) or the patient of a verified portal link. Recalled files are listed,
   * marked, so the thread can say "recalled" where they were.
   */
  async listForConversation(from: ConversationScope | PortalContext): Promise<AttachmentSummary[]> {
    const where = 'kind' in from ? { orgId: from.orgId, conversationId: from.conversationId } : { orgId: from.conversation.orgId, conversationId: from.conversation.id };
    const rows = await this.db.prisma.attachment.findMany({ where, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
    return rows.map(summary);
  }

  /**
   * Ties uploaded files to the message that carries them, inside the sender's transaction (pass
   * its client). Only files of that conversation that are on no message yet and not recalled
   * are taken; returns how many, so the caller can refuse a send naming any other file.
   */
  async attachToMessage(conversation: { orgId: string; id: string }, messageId: string, attachmentIds: string[], tx: Pick<Prisma.TransactionClient, 'attachment'> = this.db.prisma): Promise<number> {
    if (attachmentIds.length === 0) return 0;
    const { count } = await tx.attachment.updateMany({
      where: { id: { in: attachmentIds }, orgId: conversation.orgId, conversationId: conversation.id, messageId: null, recalledAt: null },
      data: { messageId },
    });
    return count;
  }

  /**
   * The download route: the link must be ours (403), unexpired (410), for a file not recalled
   * (410), and its viewer must still have access now (a member removed from the team since the
   * link was made gets 403). Each download is audited before any byte is sent.
   */
  async openDownload(attachmentId: string, params: Partial<LinkParams>, ip: string | null): Promise<OpenedDownload> {
    const verified = (await this.downloadLinks()).verify(attachmentId, params);
    if (!verified) throw new HttpError(403, 'This download link is not valid. Open the file again from the conversation.');
    if (verified.expiresAt.getTime() <= this.clock.now().getTime()) throw new HttpError(410, 'This download link has expired. Open the file again from the conversation.');
    const attachment = await this.db.prisma.attachment.findUnique({ where: { id: attachmentId } });
    if (!attachment) throw new HttpError(404, 'This file no longer exists.');
    // A recalled file is served only on an admin's retrieval link (and the viewer is re-checked as an admin below).
    if (attachment.recalledAt && verified.viewer.kind !== 'retrieval') throw new HttpError(410, 'This file was recalled by its sender.');
    const actor = await this.viewerStillAllowed(attachment, verified.viewer, ip);
    let stream: ReadStream;
    try {
      stream = await this.store.read(attachment.storageKey);
    } catch (error) {
      console.error(`[attachments] file of attachment ${attachment.id} is missing from storage:`, (error as Error).message);
      throw new HttpError(404, 'This file is no longer available.');
    }
    await this.auditDownload(attachment, actor, verified.viewer).catch((error) => {
      stream.destroy();
      throw error;
    });
    return { fileName: attachment.fileName, contentType: attachment.contentType, size: attachment.size, inline: isImage(attachment.contentType), stream };
  }

  /**
   * A link to a recalled file for an org admin on its team (recall.retrieve checked the role and
   * audits the retrieval); the download checks the role again.
   */
  async linkForRetrieval(actor: Actor, attachment: Attachment): Promise<DownloadLink> {
    if (!isAdmin(actor.role) || attachment.orgId !== actor.orgId) throw new TRPCError({ code: 'FORBIDDEN', message: 'Only organization admins can retrieve recalled content.' });
    return this.link(attachment, { kind: 'retrieval', userId: actor.userId });
  }

  private async link(attachment: Attachment, viewer: Viewer): Promise<DownloadLink> {
    if (attachment.recalledAt && viewer.kind !== 'retrieval') throw new TRPCError({ code: 'PRECONDITION_FAILED', message: 'This file was recalled by its sender.' });
    const expiresAt = new Date(this.clock.now().getTime() + DOWNLOAD_LINK_TTL_MS);
    const { exp, v, sig } = (await this.downloadLinks()).sign(attachment.id, expiresAt, viewer);
    const query = new URLSearchParams({ exp, v, sig });
    const url = `${this.config.publicUrl}/api/attachments/${attachment.id}/${encodeURIComponent(attachment.fileName)}?${query}`;
    return { url, expiresAt: new Date(Number(exp) * 1000), fileName: attachment.fileName, contentType: attachment.contentType, size: attachment.size };
  }

  private async receive(owner: { orgId: string; conversationId: string; uploadedById: string | null }, rawName: string, body: Readable, declaredBytes?: number): Promise<Attachment> {
    const max = this.config.attachmentMaxBytes;
    const limit = max >= 1024 * 1024 ? `${Math.round(max / 1024 / 1024)} MB` : `${Math.round(max / 1024)} kB`;
    const tooLarge = () => new HttpError(413, `The file is larger than ${limit}, the largest CareText accepts. Send a smaller file.`);
    if (declaredBytes !== undefined && declaredBytes > max) throw tooLarge();
    const received = await this.store.receive(body, max).catch((error) => {
      throw error instanceof AttachmentTooLargeError ? tooLarge() : error;
    });
    let key: string | null = null;
    try {
      if (received.size === 0) throw new HttpError(400, 'The file is empty.');
      const contentType = await detectAllowedType(received.tempPath);
      if (!contentType) {
        throw new HttpError(415, `This file's contents are not a type CareText accepts (whatever its name says). Send ${ALLOWED_TYPES_TEXT}.`);
      }
      key = await this.store.keep(received);
      return await this.db.prisma.attachment.create({
        data: {
          orgId: owner.orgId,
          conversationId: owner.conversationId,
          fileName: attachmentFileName(rawName, contentType),
          contentType,
          size: received.size,
          sha256: received.sha256,
          storageKey: key,
          uploadedBy: owner.uploadedById ? 'staff' : 'patient',
          uploadedById: owner.uploadedById,
          createdAt: this.clock.now(),
        },
      });
    } catch (error) {
      if (key) await this.store.remove(key);
      else await this.store.discard(received);
      throw error;
    }
  }

  private async requirePortalConversation(portal: PortalContext): Promise<void> {
    const found = await this.db.prisma.conversation.findFirst({ where: { id: portal.conversationId, orgId: portal.orgId }, select: { id: true } });
    if (!found) throw new TRPCError({ code: 'NOT_FOUND', message: 'Conversation not found.' });
  }

  /** Staff: still a member of the org and of the file's team. Patient: the link was made for this file's conversation. */
  private async viewerStillAllowed(attachment: Attachment, viewer: Viewer, ip: string | null): Promise<{ orgId: string; userId: string | null; ip: string | null }> {
    const denied = new HttpError(403, 'You no longer have access to this file.');
    // Carrier links are only ever signed for blast images (another key), never for a conversation's file.
    if (viewer.kind === 'carrier') throw denied;
    if (viewer.kind === 'patient') {
      if (viewer.conversationId !== attachment.conversationId) throw denied;
      return { orgId: attachment.orgId, userId: null, ip };
    }
    try {
      const { membership } = await this.access.requireMembership(attachment.orgId, viewer.userId);
      const actor: Actor = { orgId: attachment.orgId, userId: viewer.userId, role: membership.role, membershipId: membership.id, ip };
      await this.access.requireConversation(actor, attachment.conversationId);
      if (viewer.kind === 'retrieval' && !isAdmin(membership.role)) throw denied;
      return actor;
    } catch (error) {
      if (error instanceof TRPCError) throw denied;
      throw error;
    }
  }

  private async auditDownload(attachment: Attachment, actor: { orgId: string; userId: string | null; ip: string | null }, viewer: Viewer): Promise<void> {
    const since = new Date(this.clock.now().getTime() - DOWNLOAD_AUDIT_WINDOW_MS);
    const recent = await this.db.prisma.auditEvent.findFirst({
      where: { orgId: attachment.orgId, actorId: actor.userId, action: 'attachment.downloaded', targetId: attachment.id, createdAt: { gte: since } },
      select: { id: true },
    });
    // Each download of recalled content is its own audit event.
    if (recent && viewer.kind !== 'retrieval') return;
    const who = viewer.kind === 'patient' ? 'The patient downloaded' : viewer.kind === 'retrieval' ? 'Downloaded the recalled file' : 'Downloaded';
    await this.audit.record(actor, { action: 'attachment.downloaded', summary: `${who} ${attachment.fileName}`, targetType: 'attachment', targetId: attachment.id, data: { viewer: viewer.kind, conversationId: attachment.conversationId } });
  }

  /** The link-signing key: URL_SIGNING_SECRET, or one made once and shared by every instance through the database. */
  private downloadLinks(): Promise<DownloadLinks> {
    this.links ??= this.signingSecret().then(
      (secret) => new DownloadLinks(secret),
      (error) => {
        this.links = null;
        throw error;
      },
    );
    return this.links;
  }

  private signingSecret(): Promise<string> {
    return urlSigningSecret(this.db, this.config);
  }
}

/** The server's URL-signing secret: URL_SIGNING_SECRET, or one made once and shared by every instance through the database. */
export async function urlSigningSecret(db: Database, config: Pick<Config, 'urlSigningSecret'>): Promise<string> {
  if (config.urlSigningSecret) return config.urlSigningSecret;
  await db.prisma.serverSecret.createMany({ data: [{ name: SECRET_NAME, value: randomBytes(32).toString('base64url') }], skipDuplicates: true });
  return (await db.prisma.serverSecret.findUniqueOrThrow({ where: { name: SECRET_NAME } })).value;
}

function summary(a: Attachment): AttachmentSummary {
  return {
    id: a.id,
    conversationId: a.conversationId,
    messageId: a.messageId,
    fileName: a.fileName,
    contentType: a.contentType,
    size: a.size,
    uploadedBy: a.uploadedBy === 'patient' ? 'patient' : 'staff',
    createdAt: a.createdAt,
    recalled: a.recalledAt !== null,
  };
}
