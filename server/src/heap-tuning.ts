import v8 from 'node:v8';

/**
 * How far V8 lets the old generation grow past what the last full collection kept before the
 * next one: +30% (V8's own choice for a small heap allocating fast is up to 4x). An import of
 * 100,000 rows keeps ~100 MB live but allocates gigabytes of short-lived rows: with V8's default
 * the heap reached ~320 MB of mostly garbage before its first full GC, with this ~150 MB, for
 * ~15% more CPU during the import (test/bench/README.md, "Memory").
 */
export const HEAP_GROWING_PERCENT = 30;

/**
 * Called first by main.ts, so `pnpm start` and `node server/dist/main.js` both get it (V8 reads
 * this flag at each full GC, so setting it at run time works; Node refuses it in NODE_OPTIONS).
 * Tests that start the server in-process keep V8's defaults.
 */
export function tuneHeap(): void {
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
