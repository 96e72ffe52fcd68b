/**
 * What a queued blast message stores in Message.mediaUrls for each image: a reference, not a
 * link. The send worker turns it into a signed link at the moment it calls the carrier
 * (mintMediaUrls), so a blast scheduled for next week, spread over days or deferred by quiet
 * hours still sends a link that works, and the database never holds a usable one. Threads show
 * it through a link minted for the staff member reading them (never the reference, never the
 * carrier's link).
 */
export const MEDIA_REF_PREFIX = 'caretext-blast-image:';

export const mediaRefs = (imageIds: readonly string[]): string[] => imageIds.map((id) => MEDIA_REF_PREFIX + id);

/** The blast-image ids a message's mediaUrls refer to, in order. */
export const imageIdsOf = (mediaUrls: readonly string[]): string[] => mediaUrls.filter((u) => u.startsWith(MEDIA_REF_PREFIX)).map((u) => u.slice(MEDIA_REF_PREFIX.length));
