import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

// The built module, in a fresh process (V8 flags are per process): what main.ts calls first.
const BUILT = fileURLToPath(new URL('../dist/heap-tuning.js', import.meta.url));
// Process-level behaviour does not depend on the database backend: run it in the PGlite pass only.
const ONCE = process.env.TEST_DB !== 'postgres';

/**
 * ~30 MB kept live, then 2.5 million short-lived objects allocated in batches of 100,000 (an
 * import's rows): the peak heap in use, in MB. With V8's defaults the old generation grows to
 * ~285 MB before a full GC here; with tuneHeap ~110 MB.
 */
const SCRIPT = `
const { tuneHeap } = await import(process.argv[1]);
tuneHeap();
const live = [];
for (let i = 0; i < 200000; i++) live.push({ id: 'p' + i, n: i, s: 'x'.repeat(20) + i });
let peak = 0, batch = [];
for (let round = 0; round < 25; round++) {
  for (let i = 0; i < 100000; i++) batch.push({ id: 'g' + i, n: i, s: 'y'.repeat(20) + i });
  batch = [];
  peak = Math.max(peak, process.memoryUsage().heapUsed);
}
console.log(Math.round(peak / 1e6), live.length);
`;

describe.runIf(existsSync(BUILT) && ONCE)('tuneHeap', () => {
  it('collects the old generation before it grows to a few times what stays live', () => {
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', SCRIPT, pathToFileURL(BUILT).href], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const [peakMb, kept] = run.stdout.trim().split(' ').map(Number);
    expect(kept).toBe(200_000);
    expect(peakMb).toBeLessThan(180);
  }, 60_000);
});
