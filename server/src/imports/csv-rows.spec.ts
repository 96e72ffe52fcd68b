import Papa from 'papaparse';
import { describe, expect, it } from 'vitest';
import { readCsvRowBatches, readCsvRows } from './csv-rows.js';

/** A file with what splits badly: quoted commas, quotes and line breaks, blank lines, CRLF, non-ASCII and surrogate pairs. */
function messyCsv(rows: number, delimiter = ',', newline = '\r\n'): string {
  const lines = [['phone', 'mrn', 'first_name', 'notes'].join(delimiter)];
  for (let i = 0; i < rows; i++) {
    const notes = i % 7 === 0 ? `"line one${newline}line ""two""${delimiter} 😀"` : i % 5 === 0 ? '"Zoë, Łukasz, 日本"' : `plain ${i}`;
    lines.push([`415555${String(i).padStart(4, '0')}`, `M-${i}`, i % 3 ? 'Ann' : 'Renée', notes].join(delimiter));
    if (i % 50 === 0) lines.push('');
  }
  return `${lines.join(newline)}${newline}`;
}

/** The bytes in chunks of the given sizes (cycling), as an upload's stored chunks arrive. */
async function* chunked(bytes: Uint8Array, sizes: number[]): AsyncGenerator<Uint8Array> {
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const size = sizes[i % sizes.length]!;
    yield bytes.subarray(at, at + size);
    at += size;
  }
}

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<{ rows: string[][]; batches: number }> {
  const rows: string[][] = [];
  let batches = 0;
  for await (const batch of readCsvRowBatches(chunks)) {
    batches += 1;
    rows.push(...batch);
  }
  return { rows, batches };
}

/** What papaparse makes of the whole text at once: the rows a file must give however it is cut. */
const whole = (text: string) => Papa.parse<string[]>(text, { delimitersToGuess: [',', ';', '\t', '|'], skipEmptyLines: 'greedy' }).data;

describe('readCsvRowBatches', () => {
  const text = messyCsv(4000);
  const bytes = new TextEncoder().encode(text);

  it.each([
    ['one chunk', [bytes.length]],
    ['1 MB chunks', [1024 * 1024]],
    // The first chunk is what delimiter and line endings are guessed from (an upload's is 1 MB).
    ['uneven chunks cutting characters, quotes and CRLFs', [70_001, 7, 1, 65_537, 3, 40_000, 2, 13_001]],
  ])('gives the rows of the whole file, however it is cut: %s', async (_name, sizes) => {
    const expected = whole(text);
    expect(expected.length).toBe(4001);
    const { rows } = await collect(chunked(bytes, sizes));
    expect(rows).toEqual(expected);
  });

  it('hands rows on a piece at a time (a large first chunk whole, later ones in pieces), not the file at once', async () => {
    const { rows, batches } = await collect(chunked(bytes, [bytes.length >> 1]));
    expect(rows.length).toBe(4001);
    expect(batches).toBeGreaterThan(3);
  });

  it('guesses the delimiter and reads UTF-16 (Excel "Unicode text") and Windows-1252', async () => {
    const semicolons = messyCsv(300, ';', '\n');
    expect((await collect(chunked(new TextEncoder().encode(semicolons), [5000]))).rows).toEqual(whole(semicolons));
    expect(whole(semicolons)[1]).toEqual(['4155550000', 'M-0', 'Renée', 'line one\nline "two"; 😀']);

    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    expect((await collect(chunked(utf16, [9999]))).rows).toEqual(whole(text));

    const latin1 = Buffer.from('phone,first_name\r\n4155552671,Ren\xe9e\r\n', 'latin1');
    expect((await collect(chunked(latin1, [latin1.length]))).rows).toEqual([['phone', 'first_name'], ['4155552671', 'Renée']]);
  });

  it('gives the last row when the file does not end with a line break', async () => {
    const bytes = new TextEncoder().encode('phone,mrn\n4155552671,M1\n4155552672,"M\n2"');
    expect((await collect(chunked(bytes, [bytes.length]))).rows).toEqual([['phone', 'mrn'], ['4155552671', 'M1'], ['4155552672', 'M\n2']]);
  });

  it('gives nothing for an empty file, and fails when reading the file fails', async () => {
    expect(await collect(chunked(new Uint8Array(0), [1]))).toEqual({ rows: [], batches: 0 });
    async function* broken(): AsyncGenerator<Uint8Array> {
      yield new TextEncoder().encode('phone\n4155552671\n');
      throw new Error('chunk lost');
    }
    await expect(collect(broken())).rejects.toThrow('chunk lost');
  });

  it('readCsvRows gives the same rows one at a time', async () => {
    const rows: string[][] = [];
    for await (const row of readCsvRows(chunked(bytes, [50_000]))) rows.push(row);
    expect(rows).toEqual(whole(text));
  });
});
