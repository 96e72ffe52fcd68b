import { z } from 'zod';
import { RESERVED_REPLY_WORDS } from './opt-keywords.js';
import { EXPORT_MAX_YEAR, EXPORT_MIN_YEAR } from './text.js';

export const ROLES = ['owner', 'admin', 'member', 'external'] as const;
export type Role = (typeof ROLES)[number];
export const roleSchema = z.enum(ROLES);

/** Roles an admin may assign from the Members page (owner is transferred, external is reserved). */
export const ASSIGNABLE_ROLES = ['admin', 'member'] as const;

export const PLANS = ['free', 'sms'] as const;
export type Plan = (typeof PLANS)[number];

export const emailSchema = z.string().trim().toLowerCase().pipe(z.email({ message: 'Enter a valid email address' }));
export const passwordSchema = z.string().min(10, 'Use at least 10 characters').max(200);
export const orgNameSchema = z.string().trim().min(2, 'Name is too short').max(100);
export const teamNameSchema = z.string().trim().min(1, 'Name is required').max(80);
export const timeZoneSchema = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'Unknown time zone');
/** "HH:MM" in 24h. */
export const clockTimeSchema = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'Use HH:MM (24h)');

export const orgPoliciesSchema = z.object({
  secureLinkExpiryHours: z.number().int().min(1).max(24 * 30),
  quietHoursEnabled: z.boolean(),
  quietHoursStart: clockTimeSchema,
  quietHoursEnd: clockTimeSchema,
  smsAllowed: z.boolean(),
  externalChatAllowed: z.boolean(),
  /** Automatic logoff of web sessions after this much inactivity (HIPAA 164.312(a)(2)(iii)). */
  // Optional on input so older clients that do not send it leave it unchanged.
  idleTimeoutMinutes: z.number().int().min(5, 'At least 5 minutes').max(12 * 60, 'At most 12 hours').optional(),
});
export type OrgPolicies = z.infer<typeof orgPoliciesSchema>;

const keyword = z.string().trim().toUpperCase().regex(/^[A-Z0-9]{1,20}$/, 'One word of letters or digits');

const ackReply = z.string().trim().max(320, 'Keep it to two SMS segments (320 characters)');

/** Automatic replies: the HELP text, the words that answer a confirmation request and how an answer is acknowledged. */
export const orgRepliesSchema = z
  .object({
    helpReply: z.string().trim().max(320, 'Keep it to two SMS segments (320 characters)').nullable(),
    contactPhone: z.string().trim().max(40).nullable(),
    confirmKeywords: z.array(keyword).min(1, 'Give at least one word').max(10),
    declineKeywords: z.array(keyword).min(1, 'Give at least one word').max(10),
    /** Sent when a reply confirms (or declines) a confirmation request; empty sends nothing. Optional on input: older clients leave them unchanged. */
    confirmAckReply: ackReply.optional(),
    declineAckReply: ackReply.optional(),
  })
  .superRefine((v, ctx) => {
    for (const [field, words] of [['confirmKeywords', v.confirmKeywords], ['declineKeywords', v.declineKeywords]] as const) {
      const reserved = words.filter((w) => RESERVED_REPLY_WORDS.includes(w));
      if (reserved.length) ctx.addIssue({ code: 'custom', path: [field], message: `${reserved.join(', ')} ${reserved.length > 1 ? 'are' : 'is'} kept for opt-out and help` });
    }
    const both = v.confirmKeywords.filter((w) => v.declineKeywords.includes(w));
    if (both.length) ctx.addIssue({ code: 'custom', path: ['declineKeywords'], message: `${both.join(', ')} cannot both confirm and decline` });
  });
export type OrgReplies = z.infer<typeof orgRepliesSchema>;

/**
 * A date filter or range end, as a Date (superjson keeps Dates Dates). Text is refused rather
 * than coerced: `new Date('2023-02-30')` silently becomes March 2. Years outside
 * EXPORT_MIN_YEAR..EXPORT_MAX_YEAR (0001, 9999) are typos, refused with a 400.
 */
export const filterDateSchema = z
  .date({ error: 'Send a date (a Date value, not text)' })
  .min(new Date(Date.UTC(EXPORT_MIN_YEAR, 0, 1)), `Use a date in ${EXPORT_MIN_YEAR} or later`)
  .max(new Date(Date.UTC(EXPORT_MAX_YEAR + 1, 0, 1)), `Use a date before ${EXPORT_MAX_YEAR + 1}`);
