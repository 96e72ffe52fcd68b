import { EventEmitter } from 'node:events';
import { TextDecoder } from 'node:util';
import Papa from 'papaparse';

/**
 * Text handed to the parser at a time, after the file's first chunk (which goes whole: the
 * delimiter and line endings are guessed from it). Its rows are parsed in one go and handed on
 * together, so they die young: ~500 rows, while a batch is 1,000.
 */
const PIECE_CHARS = 32 * 1024;

/**
 * Streams CSV rows (arrays of cells), many at a time, out of a stream of file bytes, so a
 * 100,000-row file never sits in memory whole. Handles a UTF-8 BOM, UTF-16 (Excel's "Unicode
 * text"), Windows-1252 (older Excel CSV exports), CRLF or LF, quoted fields, and `,` `;` or tab
 * delimiters.
 *
 * The text goes to papaparse's stream reader through an emitter that this loop drives: each piece
 * is parsed synchronously when emitted, and its rows come back as one array (papaparse's `chunk`
 * mode). Its row-by-row stream (`NODE_STREAM_INPUT`) allocated ~6x as much per row (a result
 * object, a stream push and an async iteration step per row), garbage an import made twice per
 * row of the file.
 */
export async function* readCsvRowBatches(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<string[][]> {
  const source = Object.assign(new EventEmitter(), { readable: true, read: () => null, pause() {}, resume() {} });
  let parsed: string[][] = [];
  let failure: unknown = null;
  Papa.parse<string[]>(source as unknown as NodeJS.ReadableStream, {
    delimitersToGuess: [',', ';', '\t', '|'],
    skipEmptyLines: 'greedy',
    chunk: (results) => {
      for (const row of results.data) parsed.push(row);
    },
    complete: () => {},
    error: (error) => {
      failure ??= error;
    },
  });
  const take = () => {
    if (failure) throw failure;
    const rows = parsed;
    parsed = [];
    return rows;
  };
  let decoder: TextDecoder | null = null;
  let started = false;
  for await (const chunk of chunks) {
    decoder ??= pickDecoder(chunk);
    const text = decoder.decode(chunk, { stream: true });
    // The first text goes whole (the parser guesses from it), the rest in pieces.
    const step = started ? PIECE_CHARS : text.length;
    for (let at = 0; at < text.length; at += step) {
      source.emit('data', text.slice(at, at + step));
      const rows = take();
      if (rows.length) yield rows;
    }
    if (text) started = true;
  }
  const rest = decoder ? decoder.decode() : '';
  if (rest) source.emit('data', rest);
  source.emit('end');
  const rows = take();
  if (rows.length) yield rows;
}

/** readCsvRowBatches, one row at a time. */
export async function* readCsvRows(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<string[]> {
  for await (const rows of readCsvRowBatches(chunks)) yield* rows;
}

function pickDecoder(first: Uint8Array): TextDecoder {
  if (first[0] === 0xff && first[1] === 0xfe) return new TextDecoder('utf-16le');
  if (first[0] === 0xfe && first[1] === 0xff) return new TextDecoder('utf-16be');
  try {
    // Only the first chunk is checked; a multi-byte character cut at its end is fine (stream: true).
    new TextDecoder('utf-8', { fatal: true }).decode(first, { stream: true });
    return new TextDecoder('utf-8'); // strips a UTF-8 BOM
  } catch {
    return new TextDecoder('windows-1252');
  }
}
