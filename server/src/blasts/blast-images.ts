import type { ReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import { MMS_IMAGE_MAX_BYTES, MMS_IMAGE_TYPES, MMS_MAX_IMAGES } from '@caretext/shared';
import { TRPCError } from '@trpc/server';
import { AccessService, type Actor } from '../access/access.service.js';
import { AttachmentStore, AttachmentTooLargeError } from '../attachments/attachment-store.js';
import { attachmentFileName, detectAllowedType } from '../attachments/attachment-types.js';
import { urlSigningSecret } from '../attachments/attachments.service.js';
import { BLAST_IMAGE_LINKS, DOWNLOAD_LINK_TTL_MS, DownloadLinks, type LinkParams } from '../attachments/download-links.js';
import { AuditService } from '../audit/audit.service.js';
import { CLOCK, type Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import type { BlastImage } from '../generated/prisma/client.js';
import { BLAST_IMAGE_UPLOAD_PATH } from '../http/body-limits.js';
import { HttpError } from '../http/session-actor.js';
import { CONFIG, DATABASE } from '../injection-tokens.js';
import { MEDIA_REF_PREFIX, mediaRefs } from './blast-image-refs.js';

/** The stored reference of a blast image (Message.mediaUrls): see blast-image-refs.ts. */
export { MEDIA_REF_PREFIX, mediaRefs } from './blast-image-refs.js';
export const BLAST_IMAGE_PATH = BLAST_IMAGE_UPLOAD_PATH;
/** How long the carrier's link works: it fetches the image as it sends, seconds after we ask. */
export const CARRIER_LINK_TTL_MS = 60 * 60_000;

export type BlastImageSummary = { id: string; fileName: string; contentType: string; size: number; url: string };

/** The signer per database (the secret is made once and never changes): no query per message sent. */
const linksByDb = new WeakMap<Database, Promise<DownloadLinks>>();
function blastImageLinks(db: Database, config: Config): Promise<DownloadLinks> {
  let links = linksByDb.get(db);
  if (!links) {
    links = urlSigningSecret(db, config).then((secret) => new DownloadLinks(secret, BLAST_IMAGE_LINKS));
    // A failure (the database restarting) is not remembered: the next send asks again.
    links.catch(() => linksByDb.delete(db));
    linksByDb.set(db, links);
  }
  return links;
}

function imageUrl(config: Config, image: Pick<BlastImage, 'id'>, params: LinkParams): string {
  // The path names only the image's random id: no file name, org, blast or patient.
  return `${config.publicUrl}${BLAST_IMAGE_PATH}/${image.id}?${new URLSearchParams(params)}`;
}

/**
 * The carrier's links for a message's media, minted now (send worker, Send Test to Me): each
 * blast-image reference becomes a public link signed for the carrier that expires in
 * CARRIER_LINK_TTL_MS; anything else is passed on as it is.
 */
export async function mintMediaUrls(db: Database, config: Config, mediaUrls: readonly string[], now: Date): Promise<string[]> {
  if (!mediaUrls.some((u) => u.startsWith(MEDIA_REF_PREFIX))) return [...mediaUrls];
  const links = await blastImageLinks(db, config);
  const expiresAt = new Date(now.getTime() + CARRIER_LINK_TTL_MS);
  return mediaUrls.map((u) => (u.startsWith(MEDIA_REF_PREFIX) ? imageUrl(config, { id: u.slice(MEDIA_REF_PREFIX.length) }, links.sign(u.slice(MEDIA_REF_PREFIX.length), expiresAt, { kind: 'carrier' })) : u));
}

/**
 * Images for MMS blasts. The bytes go through the attachment store (random keys, atomic
 * renames); the type is read from the bytes (JPEG, PNG or GIF only, whatever the name says);
 * each is under 1 MB. An image belongs to its org: any of the org's staff may see it and use it
 * on a blast (a Duplicate reuses the images of a colleague's blast), no other org may.
 */
@Injectable()
export class BlastImagesService {
  private readonly store: AttachmentStore;

  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly access: AccessService,
    private readonly audit: AuditService,
  ) {
    this.store = new AttachmentStore(config.attachmentsDir);
  }

  /** The wizard's upload: signed-in staff of the org; refused with a sentence a person can act on. */
  async upload(actor: Actor, rawName: string, body: Readable, declaredBytes?: number): Promise<BlastImageSummary> {
    const tooLarge = () => new HttpError(413, 'This image is 1 MB or larger. MMS images must each be under 1 MB: send a smaller image.');
    if (declaredBytes !== undefined && declaredBytes > MMS_IMAGE_MAX_BYTES) throw tooLarge();
    const received = await this.store.receive(body, MMS_IMAGE_MAX_BYTES).catch((error) => {
      throw error instanceof AttachmentTooLargeError ? tooLarge() : error;
    });
    let key: string | null = null;
    try {
      if (received.size === 0) throw new HttpError(400, 'The file is empty.');
      const contentType = await detectAllowedType(received.tempPath);
      if (!contentType || !MMS_IMAGE_TYPES.includes(contentType)) {
        throw new HttpError(415, "This file's contents are not a JPG, PNG or GIF image (whatever its name says). MMS blasts can carry JPG, PNG or GIF images only.");
      }
      key = await this.store.keep(received);
      const image = await this.db.prisma.blastImage.create({
        data: { orgId: actor.orgId, uploadedById: actor.userId, fileName: attachmentFileName(rawName, contentType), contentType, size: received.size, sha256: received.sha256, storageKey: key, createdAt: this.clock.now() },
      });
      await this.audit.record(actor, { action: 'blast.image_uploaded', summary: `Uploaded the blast image ${image.fileName} (${contentType}, ${image.size} bytes)`, targetType: 'blast_image', targetId: image.id });
      return this.summaries(actor, [image]).then((s) => s[0]!);
    } catch (error) {
      if (key) await this.store.remove(key);
      else await this.store.discard(received);
      throw error;
    }
  }

  /**
   * The images a blast (or a test) may carry: at most MMS_MAX_IMAGES, each once, each this org's
   * (another org's id, or an unknown one: NOT_FOUND, the same answer). In the order given.
   */
  async requireUsable(actor: Actor, imageIds: readonly string[] | undefined): Promise<string[]> {
    const ids = [...new Set(imageIds ?? [])];
    if (ids.length > MMS_MAX_IMAGES) throw new TRPCError({ code: 'BAD_REQUEST', message: `An MMS blast can carry at most ${MMS_MAX_IMAGES} images: remove ${ids.length - MMS_MAX_IMAGES}.` });
    if (!ids.length) return [];
    const found = await this.db.prisma.blastImage.count({ where: { orgId: actor.orgId, id: { in: ids } } });
    if (found !== ids.length) throw new TRPCError({ code: 'NOT_FOUND', message: 'Image not found. Attach it again.' });
    return ids;
  }

  /** The org's images by id (the wizard's thumbnails, a Duplicate's), with fresh links for the caller. */
  async list(actor: Actor, imageIds: string[]): Promise<BlastImageSummary[]> {
    const rows = await this.db.prisma.blastImage.findMany({ where: { orgId: actor.orgId, id: { in: imageIds } } });
    const byId = new Map(rows.map((r) => [r.id, r]));
    return this.summaries(actor, imageIds.map((id) => byId.get(id)).filter((r): r is BlastImage => r !== undefined));
  }

  /**
   * The thread's images of these messages' blast-image references (threads: conversations.get),
   * with links signed for `actor` as staff viewer, by image id. Only this org's images; a
   * reference to a swept or foreign image is left out.
   */
  async forThread(actor: Actor, imageIds: readonly string[]): Promise<Map<string, BlastImageSummary>> {
    const ids = [...new Set(imageIds)];
    if (!ids.length) return new Map();
    const rows = await this.db.prisma.blastImage.findMany({ where: { orgId: actor.orgId, id: { in: ids } } });
    return new Map((await this.summaries(actor, rows)).map((s) => [s.id, s]));
  }

  private async summaries(actor: Actor, rows: BlastImage[]): Promise<BlastImageSummary[]> {
    const links = await blastImageLinks(this.db, this.config);
    const expiresAt = new Date(this.clock.now().getTime() + DOWNLOAD_LINK_TTL_MS);
    return rows.map((r) => ({ id: r.id, fileName: r.fileName, contentType: r.contentType, size: r.size, url: imageUrl(this.config, r, links.sign(r.id, expiresAt, { kind: 'staff', userId: actor.userId })) }));
  }

  /**
   * The download route: the link must be ours (403) and unexpired (410); a staff link's viewer
   * must still be a member of the image's org. A carrier link is public until it expires.
   */
  async openDownload(imageId: string, params: Partial<LinkParams>): Promise<{ contentType: string; size: number; stream: ReadStream }> {
    const verified = (await blastImageLinks(this.db, this.config)).verify(imageId, params);
    if (!verified || (verified.viewer.kind !== 'carrier' && verified.viewer.kind !== 'staff')) throw new HttpError(403, 'This image link is not valid.');
    if (verified.expiresAt.getTime() <= this.clock.now().getTime()) throw new HttpError(410, 'This image link has expired.');
    const image = await this.db.prisma.blastImage.findUnique({ where: { id: imageId } });
    if (!image) throw new HttpError(404, 'This image no longer exists.');
    if (verified.viewer.kind === 'staff') {
      await this.access.requireMembership(image.orgId, verified.viewer.userId).catch((error) => {
        throw error instanceof TRPCError ? new HttpError(403, 'You no longer have access to this image.') : error;
      });
    }
    try {
      return { contentType: image.contentType, size: image.size, stream: await this.store.read(image.storageKey) };
    } catch (error) {
      console.error(`[blast-images] file of image ${image.id} is missing from storage:`, (error as Error).message);
      throw new HttpError(404, 'This image is no longer available.');
    }
  }

  /**
   * Images uploaded before `before` that no blast names (picked in a wizard that was then left,
   * or removed from it): rows, then bytes, are deleted (housekeeping). The age is far past any
   * wizard session, so an image is never swept between its check and its blast's commit.
   */
  async sweepUnused(before: Date, batch = 500): Promise<number> {
    let total = 0;
    for (;;) {
      const gone = await this.db.sql.query<{ storageKey: string }>(
        `DELETE FROM "BlastImage" WHERE id IN (
           SELECT i.id FROM "BlastImage" i WHERE i."createdAt" < $1 AND NOT EXISTS (SELECT 1 FROM "Blast" b WHERE b."orgId" = i."orgId" AND i.id = ANY(b."imageIds")) LIMIT ${batch})
         RETURNING "storageKey"`,
        [before],
      );
      for (const { storageKey } of gone) await this.store.remove(storageKey);
      total += gone.length;
      if (gone.length < batch) return total;
    }
  }

  /** The carrier's links for these images, minted now (Send Test to Me). */
  carrierUrls(imageIds: readonly string[]): Promise<string[]> {
    return mintMediaUrls(this.db, this.config, mediaRefs(imageIds), this.clock.now());
  }
}
