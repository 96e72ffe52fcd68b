import { z } from 'zod';

const id = z.string().min(1).max(64);

/** Longest body a composer accepts (the server refuses anything longer with a clear error). */
export const MAX_SEND_BODY = 5000;

/** Most files one secure message (or portal reply) carries. */
export const MAX_MESSAGE_ATTACHMENTS = 10;

/** A file on a message, as threads (staff and portal) show it; a recalled one has no link. */
export type MessageAttachment = { id: string; fileName: string; contentType: string; size: number; recalled: boolean };

/**
 * `conversations.send`: the one definition of a staff send, used by the server's router and
 * service, the web composer and the extension (protocol, outbox). A send names an open
 * conversation, or a patient and a team: then the conversation is found or started in the same
 * call (the sidebar's first message to a patient is one round trip).
 */
export const sendMessageInput = z
  .object({
    conversationId: id.optional(),
    patientId: id.optional(),
    teamId: id.optional(),
    body: z.string().max(MAX_SEND_BODY),
    /**
     * sms (the default): a plain text from the team's number. secure: stored on the server; the
     * patient gets a portal link (by SMS when possible, else by email), never the content.
     */
    channel: z.enum(['sms', 'secure']).optional(),
    /** The client's key for this send: retries (double clicks, the extension's outbox) return the first message. */
    idempotencyKey: z.string().min(8).max(100).optional(),
    /** Ask the patient to confirm: the org's request text is added (withConfirmationRequest). */
    requestsConfirmation: z.boolean().optional(),
    /** The sender saw the PHI warning and sends as plain SMS anyway. */
    confirmPhi: z.boolean().optional(),
    /** Outside quiet hours a manual send asks first: send now anyway, or hold until the window opens. */
    quietHours: z.enum(['send_now', 'schedule']).optional(),
    /**
     * Secure Chat only: files uploaded to this conversation (POST /api/attachments) that this
     * message carries. A secure message may be files only (empty body). SMS refuses them.
     */
    attachmentIds: z.array(id).max(MAX_MESSAGE_ATTACHMENTS).optional(),
  })
  .refine((v) => (v.conversationId ? !v.patientId && !v.teamId : Boolean(v.patientId && v.teamId)), {
    message: 'Name a conversation, or a patient and a team',
  });

export type SendMessageInput = z.infer<typeof sendMessageInput>;

/** What a send answers: the message (or the first one, for a repeated key) and when it goes out. */
export type SendMessageResult = {
  duplicate: boolean;
  conversationId: string;
  messageId: string;
  status: string;
  sendAfter: Date | string | null;
  /** Secure sends: how the patient was told (the link went by SMS or email), or why they could not be. */
  notification?: SecureNotification;
};

/** How a secure message's patient learns of it: never with its content, only a portal link. */
export type SecureNotification =
  | { via: 'sms'; to: string; sendAfter: Date | string | null }
  | { via: 'email'; to: string }
  | { via: 'none'; reason: string };
