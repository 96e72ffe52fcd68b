/**
 * Telling "the database is away for a moment" (a PostgreSQL restart, a failover, a terminated
 * backend) from every other error: those are answered 503 with Retry-After, and background work
 * waits and resumes instead of failing.
 */

/** What a client is told to wait before asking again while the database is unavailable. */
export const RETRY_AFTER_SECONDS = 5;

export const DATABASE_UNAVAILABLE_MESSAGE = 'The database is unavailable for a moment (restarting or failing over). Try again in a few seconds.';

/** SQLSTATEs of a server that is shutting down, starting up or dropped the connection. */
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300', '08000', '08001', '08003', '08004', '08006', '08007']);
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
/** Prisma's driver adapter names the same conditions itself. */
const ADAPTER_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections']);
const MESSAGES = [
  /^Connection terminated/,
  /timeout exceeded when trying to connect/,
  /Client has encountered a connection error and is not queryable/,
  /Connection ended unexpectedly/,
  // ALTER DATABASE ... ALLOW_CONNECTIONS false: maintenance (SQLSTATE 55000 is too broad to list).
  /^database ".*" is not currently accepting connections$/,
];

type Described = { code?: unknown; kind?: unknown; message?: unknown; cause?: unknown; meta?: { driverAdapterError?: unknown } };

export function isDatabaseUnavailable(error: unknown): boolean {
  const seen = new Set<unknown>();
  const pending: unknown[] = [error];
  while (pending.length) {
    const e = pending.pop() as Described | null | undefined;
    if (!e || typeof e !== 'object' || seen.has(e)) continue;
    seen.add(e);
    if (typeof e.code === 'string' && (UNAVAILABLE_STATES.has(e.code) || SOCKET_CODES.has(e.code))) return true;
    if (typeof e.kind === 'string' && ADAPTER_KINDS.has(e.kind)) return true;
    if (typeof e.message === 'string' && MESSAGES.some((m) => m.test(e.message as string))) return true;
    pending.push(e.cause, e.meta?.driverAdapterError);
  }
  return false;
}

/** Exponential backoff with a cap: 0.5 s, 1 s, 2 s, ... 15 s. */
export function backoffMs(attempt: number, baseMs = 500, capMs = 15_000): number {
  return Math.min(capMs, baseMs * 2 ** Math.max(0, attempt));
}
