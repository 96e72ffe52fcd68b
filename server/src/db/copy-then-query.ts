import type pg from 'pg';

/** What a pg connection gives the query object it runs (the parts used here). */
type Connection = { query(text: string): void; stream: { write(chunk: Uint8Array): boolean } };
type RowDescription = { fields: { name: string }[] };
type DataRow = { fields: (string | null)[] };

const COPY_DONE = Buffer.from([0x63, 0, 0, 0, 4]);

/**
 * One simple query on one connection: `text` holds a `COPY ... FROM STDIN` and, after it, the
 * statement whose rows are wanted; `data` is what the COPY reads. The whole of it goes out at
 * once (query, CopyData, CopyDone) instead of waiting for the server's CopyInResponse before
 * the data and for the COPY's end before the statement: one round trip, and the server never
 * waits for this process between the two (a busy event loop would make it wait). That is
 * allowed: PostgreSQL reads the messages in order, and CopyData/CopyDone arriving outside COPY
 * (after an error before or during it) are ignored, as the protocol says. The statements of a
 * simple query run as one implicit transaction: an error anywhere rolls all of them back.
 *
 * Resolves to the last statement's rows (text values by column name, as the server sends them),
 * rejects with the first error. A query object of pg's Client (`client.query(it)`), as
 * pg-copy-streams' are.
 */
export class CopyThenQuery {
  readonly result: Promise<Record<string, string | null>[]>;
  private resolve!: (rows: Record<string, string | null>[]) => void;
  private reject!: (error: Error) => void;
  private fields: string[] = [];
  private rows: Record<string, string | null>[] = [];
  private settled = false;

  constructor(
    private readonly text: string,
    private readonly data: Buffer,
  ) {
    this.result = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  submit(connection: Connection): void {
    connection.query(this.text);
    const header = Buffer.allocUnsafe(5);
    header[0] = 0x64; // CopyData
    header.writeUInt32BE(this.data.length + 4, 1);
    connection.stream.write(header);
    connection.stream.write(this.data);
    connection.stream.write(COPY_DONE);
  }

  /** pg wraps this when a query timeout is configured, and expects it to be called at the end. */
  callback(): void {}

  handleCopyInResponse(): void {}

  handleRowDescription(message: RowDescription): void {
    this.fields = message.fields.map((field) => field.name);
    this.rows = [];
  }

  handleDataRow(message: DataRow): void {
    const row: Record<string, string | null> = {};
    for (let i = 0; i < this.fields.length; i++) row[this.fields[i]!] = message.fields[i] ?? null;
    this.rows.push(row);
  }

  handleCommandComplete(): void {}

  handleEmptyQuery(): void {}

  /** An ErrorResponse (pg forgets this query then: no ReadyForQuery reaches it), or a lost connection. */
  handleError(error: Error): void {
    this.callback();
    if (this.settled) return;
    this.settled = true;
    this.reject(error);
  }

  handleReadyForQuery(): void {
    this.callback();
    if (this.settled) return;
    this.settled = true;
    this.resolve(this.rows);
  }
}

/** `COPY table (columns) FROM source` of CSV: STDIN over a connection, PGlite's '/dev/blob' in-process. */
export function copyCsvStatement(table: string, columns: string[], source: 'STDIN' | "'/dev/blob'"): string {
  return `COPY "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) FROM ${source} WITH (FORMAT csv)`;
}

/** Runs `TRUNCATE` (when asked), `COPY table (columns) FROM STDIN` of `csv`, then `statement`, as one simple query. */
export function copyCsvThenQuery<T>(client: pg.ClientBase, table: string, columns: string[], csv: string, statement: string, truncate: boolean): Promise<T[]> {
  const copy = copyCsvStatement(table, columns, 'STDIN');
  const query = new CopyThenQuery(`${truncate ? `TRUNCATE "${table}"; ` : ''}${copy}; ${statement}`, Buffer.from(csv));
  void client.query(query as never);
  return query.result as Promise<T[]>;
}
