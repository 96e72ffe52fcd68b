import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { EventBus, type EventChannelHealth, type OrgEvent, type SessionEndedEvent } from './event-bus.js';

/** The NOTIFY channel every instance on one database listens to. */
export const EVENTS_CHANNEL = 'caretext_events';
/** The LISTEN connection's application_name (pg_stat_activity shows which backend it is). */
export const LISTEN_APPLICATION_NAME = 'caretext-events';
/** PostgreSQL refuses a NOTIFY payload of 8000 bytes or more. */
export const MAX_NOTIFY_BYTES = 7_999;
/** Waits between attempts to get the LISTEN connection back; the last one repeats. */
const BACKOFF_MS = [100, 250, 500, 1_000, 2_000, 5_000];
/** Payloads in one NOTIFY statement at most (each under MAX_NOTIFY_BYTES). */
const NOTIFY_BATCH = 500;

/**
 * What goes through the channel: an organization's event, a session that ended (with the
 * instance that published it: that instance already told its own listeners), or "re-read"
 * for one organization's subscribers (`r`: its id) or for everyone's (`r: null`).
 */
export type Wire = { o: string; e: OrgEvent } | { s: SessionEndedEvent; i: string } | { r: string | null };

/**
 * The event bus across server instances on one PostgreSQL database: `publish` is a NOTIFY, and
 * a dedicated LISTEN connection per instance hands what arrives (its own publishes included,
 * once) to the local subscribers. Events are small by design (event-bus.ts); one that is still
 * too large for NOTIFY becomes a "re-read" for its organization's subscribers, never a silent loss.
 *
 * The LISTEN connection is the instance's only source of events: when it drops (PostgreSQL
 * restart, failover, pg_terminate_backend) it reconnects with backoff, and once back it tells
 * every instance's subscribers to re-read (`resync`), because NOTIFYs sent meanwhile are gone,
 * to it and from it. Publishes while it is down are dropped for the same reason.
 */
export class PgNotifyEventBus extends EventBus {
  private readonly instance = randomBytes(8).toString('hex');
  private client: pg.Client | null = null;
  private connected = false;
  private hadConnection = false;
  private closed = false;
  private attempt = 0;
  private retry: NodeJS.Timeout | null = null;
  /** Payloads published while a NOTIFY statement runs: the next statement sends them. */
  private unsent: string[] = [];
  private sending = false;

  constructor(
    private readonly url: string,
    private readonly log: (line: string) => void,
  ) {
    super();
  }

  /** Opens the LISTEN connection; if PostgreSQL is not there, keeps trying in the background. */
  async start(): Promise<this> {
    await this.connect();
    return this;
  }

  override get health(): EventChannelHealth {
    return { kind: 'postgres-notify', ok: this.connected };
  }

  override publish(orgId: string, event: OrgEvent): void {
    this.notify({ o: orgId, e: event }, orgId);
  }

  override publishSessionEnded(event: SessionEndedEvent): void {
    // Streams here close at once, whatever the channel does; the others learn it through NOTIFY.
    this.deliverSessionEnded(event);
    this.notify({ s: event, i: this.instance }, null);
  }

  override async close(): Promise<void> {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    const client = this.client;
    this.client = null;
    this.connected = false;
    await client?.end().catch(() => {});
  }

  private notify(wire: Wire, orgId: string | null): void {
    let payload = encode(wire);
    if (Buffer.byteLength(payload) > MAX_NOTIFY_BYTES) {
      this.log(`events: a ${Buffer.byteLength(payload)}-byte event is over the NOTIFY limit; its subscribers re-read instead`);
      payload = encode({ r: orgId });
    }
    // Down: nothing is sent; everyone re-reads once the connection is back (connect()).
    if (!this.client || !this.connected) return;
    this.unsent.push(payload);
    if (!this.sending) void this.sendUnsent();
  }

  /**
   * One NOTIFY statement at a time on the LISTEN connection, carrying every payload published
   * while the previous one ran, in order. One statement per event (a round trip and a commit
   * each) fell behind during a blast of status callbacks: events reached other instances
   * seconds after the callbacks were answered. (PostgreSQL delivers identical payloads of one
   * transaction once: an exact repeat says nothing new to any subscriber.)
   */
  private async sendUnsent(): Promise<void> {
    this.sending = true;
    try {
      while (this.unsent.length) {
        const client = this.client;
        if (!client || !this.connected) {
          this.unsent = [];
          return;
        }
        const payloads = this.unsent.splice(0, NOTIFY_BATCH);
        await client
          .query('SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p', [EVENTS_CHANNEL, payloads])
          .catch((error: Error) => this.log(`events: NOTIFY of ${payloads.length} event(s) failed (${error.message})`));
      }
    } finally {
      this.sending = false;
    }
  }

  private receive(payload: string): void {
    let wire: Wire;
    try {
      wire = decode(payload);
    } catch {
      this.log('events: an unreadable NOTIFY payload was ignored');
      return;
    }
    if ('o' in wire) this.deliver(wire.o, wire.e);
    else if ('s' in wire) {
      if (wire.i !== this.instance) this.deliverSessionEnded(wire.s);
    } else this.resync(wire.r);
  }

  private async connect(): Promise<void> {
    this.retry = null;
    if (this.closed) return;
    const client = new pg.Client({ connectionString: this.url, application_name: LISTEN_APPLICATION_NAME, connectionTimeoutMillis: 5_000, keepAlive: true });
    // Both stay attached for the client's life: an `error` with no listener would end the process.
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, null));
    client.on('notification', (message) => {
      if (message.channel === EVENTS_CHANNEL && message.payload) this.receive(message.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${EVENTS_CHANNEL}`);
    } catch (error) {
      void client.end().catch(() => {});
      this.log(`events: cannot LISTEN (${(error as Error).message}); retrying`);
      this.scheduleReconnect();
      return;
    }
    if (this.closed) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
    this.connected = true;
    this.attempt = 0;
    if (this.hadConnection) {
      this.log('events: listening again; subscribers re-read what they may have missed');
      // Through the channel, so the other instances' subscribers re-read too (they may have
      // missed what this instance published while it was down); locally if even that fails.
      client.query('SELECT pg_notify($1, $2)', [EVENTS_CHANNEL, encode({ r: null })]).catch(() => this.resync(null));
    }
    this.hadConnection = true;
  }

  private lost(client: pg.Client, error: Error | null): void {
    if (client !== this.client) return; // still connecting (connect() handles it), or already replaced
    this.client = null;
    this.connected = false;
    void client.end().catch(() => {});
    if (this.closed) return;
    this.log(`events: LISTEN connection lost (${error?.message ?? 'ended'}); reconnecting`);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.retry) return;
    const wait = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)]!;
    this.attempt += 1;
    this.retry = setTimeout(() => void this.connect(), wait);
    this.retry.unref();
  }
}

/** JSON with Dates kept as Dates (events carry them; a plain string would reach clients as one). */
export function encode(wire: Wire): string {
  return JSON.stringify(wire, function (this: Record<string, unknown>, key, value: unknown) {
    const raw = this[key];
    return raw instanceof Date ? { $date: raw.toISOString() } : value;
  });
}

export function decode(payload: string): Wire {
  return JSON.parse(payload, (_key, value: unknown) => {
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const date = (value as { $date?: unknown }).$date;
      if (typeof date === 'string' && Object.keys(value).length === 1) return new Date(date);
    }
    return value;
  }) as Wire;
}

/**
 * The bus for this database: NOTIFY across instances on PostgreSQL, in-process on PGlite (one
 * process by construction).
 */
export async function openEventBus(db: { kind: 'pglite' | 'postgres' }, databaseUrl: string | null, log: (line: string) => void): Promise<EventBus> {
  if (db.kind !== 'postgres' || !databaseUrl) return new EventBus();
  return new PgNotifyEventBus(databaseUrl, log).start();
}
