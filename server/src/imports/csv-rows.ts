import { TextDecoder } from 'node:util';
import { once } from 'node:events';
import Papa from 'papaparse';

/**
 * Streams CSV rows (arrays of cells) out of a stream of file bytes, so a 100,000-row file never
 * sits in memory whole. Handles a UTF-8 BOM, UTF-16 (Excel's "Unicode text"), Windows-1252
 * (older Excel CSV exports), CRLF or LF, quoted fields, and `,` `;` or tab delimiters.
 */
export async function* readCsvRows(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<string[]> {
  const parser = Papa.parse(Papa.NODE_STREAM_INPUT, { delimitersToGuess: [',', ';', '\t', '|'], skipEmptyLines: 'greedy' });
  let decoder: TextDecoder | null = null;
  let failure: unknown = null;
  const feed = (async () => {
    try {
      for await (const chunk of chunks) {
        decoder ??= pickDecoder(chunk);
        if (!parser.write(decoder.decode(chunk, { stream: true }))) await once(parser, 'drain');
      }
      parser.end(decoder ? decoder.decode() : '');
    } catch (error) {
      failure = error;
      parser.destroy(error as Error);
    }
  })();
  try {
    for await (const row of parser) yield row as string[];
  } finally {
    await feed;
  }
  if (failure) throw failure;
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
