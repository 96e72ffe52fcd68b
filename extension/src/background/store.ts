import type { SendMessageInput } from '@caretext/shared';
import { Dexie, type EntityTable } from 'dexie';

/**
 * The background's IndexedDB (the extension's origin: no page and no content script can open
 * it). The session token lives here rather than in chrome.storage.local, which content
 * scripts can read.
 */
export type SessionRecord = {
  id: 'current';
  serverUrl: string;
  email: string;
  token: string | null;
  user: { name: string; email: string } | null;
  org: { id: string; name: string } | null;
  orgs: { id: string; name: string; role: string }[];
};

export type DraftRecord = { orgId: string; patientId: string; body: string; updatedAt: number };

/**
 * A message on its way: written before the first attempt, removed once the server has it (or
 * has refused it for good). The idempotency key makes every retry safe: the server answers a
 * repeat with the message it already has.
 */
export type OutboxRecord = {
  idempotencyKey: string;
  orgId: string;
  patientId: string;
  teamId: string;
  body: string;
  requestsConfirmation: boolean;
  confirmPhi: boolean;
  quietHours: NonNullable<SendMessageInput['quietHours']> | null;
  /** Secure Chat (absent: SMS, as every record written before the channel existed). */
  channel?: 'secure';
  /** Secure Chat files already uploaded (ids only), sent with the message. */
  attachmentIds?: string[];
  createdAt: number;
  state: 'waiting' | 'sending' | 'failed';
  attempts: number;
  error: string | null;
};

export type CareTextDb = Dexie & {
  session: EntityTable<SessionRecord, 'id'>;
  drafts: Dexie.Table<DraftRecord, [string, string]>;
  outbox: EntityTable<OutboxRecord, 'idempotencyKey'>;
};

export function openStore(name = 'caretext'): CareTextDb {
  const db = new Dexie(name) as CareTextDb;
  db.version(1).stores({
    session: 'id',
    drafts: '[orgId+patientId]',
    outbox: 'idempotencyKey, createdAt, [orgId+patientId]',
  });
  return db;
}
