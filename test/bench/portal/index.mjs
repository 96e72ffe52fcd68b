// pnpm bench portal [--no-build]
//
// Issue 12's budget for the patient portal (web/portal.html, served at /p/<token>): all the
// JavaScript its page loads, <= 30 KB gzip (30720 bytes, zlib default level). Read from vite's
// build manifest: the portal.html entry and every chunk it imports, statically or
// dynamically, transitively (a patient on a slow phone downloads all of it). Also checks that
// no staff module (web/src/pages, web/src/lib, web/src/components) is in the portal's graph.
// No server, no browser: exact byte counts. The last line is one JSON object (test/bench/README.md).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const WEB = path.join(ROOT, 'web');
const DIST = path.join(WEB, 'dist');
const MANIFEST = path.join(DIST, '.vite/manifest.json');
const TARGET_BYTES = 30720;
const ENTRY = 'portal.html';

const { values: opts } = parseArgs({ options: { 'no-build': { type: 'boolean', default: false } } });

const newest = (dir) =>
  existsSync(dir)
    ? readdirSync(dir, { withFileTypes: true }).reduce((latest, e) => Math.max(latest, e.isDirectory() ? newest(path.join(dir, e.name)) : statSync(path.join(dir, e.name)).mtimeMs), 0)
    : 0;

let summary = { bench: 'portal', value: null, unit: 'bytes gzip', target: TARGET_BYTES, ok: false };
try {
  const stale = !existsSync(MANIFEST) || statSync(MANIFEST).mtimeMs < Math.max(newest(path.join(WEB, 'src')), statSync(path.join(WEB, ENTRY)).mtimeMs);
  if (stale && !opts['no-build']) {
    console.log('building the web app (web/dist is missing or stale)…');
    execFileSync('pnpm', ['--filter', '@caretext/web', 'build'], { cwd: ROOT, stdio: 'inherit' });
  }
  const manifest = JSON.parse(readFileSync(MANIFEST, 'utf8'));
  if (!manifest[ENTRY]?.isEntry) throw new Error(`the manifest has no ${ENTRY} entry (is it in web/vite.config.ts build inputs?)`);
  const seen = new Set();
  const files = new Set();
  const sources = [];
  const visit = (key) => {
    if (seen.has(key)) return;
    seen.add(key);
    const chunk = manifest[key];
    if (!chunk) throw new Error(`the manifest has no chunk "${key}"`);
    if (chunk.src) sources.push(chunk.src);
    if (chunk.file.endsWith('.js')) files.add(chunk.file);
    for (const imported of [...(chunk.imports ?? []), ...(chunk.dynamicImports ?? [])]) visit(imported);
  };
  visit(ENTRY);
  const staff = sources.filter((s) => /^src\/(pages|lib|components)\//.test(s));
  if (staff.length) throw new Error(`staff modules in the portal bundle: ${staff.join(', ')}`);
  let raw = 0;
  let gzip = 0;
  for (const file of files) {
    const bytes = readFileSync(path.join(DIST, file));
    const gz = gzipSync(bytes).length;
    raw += bytes.length;
    gzip += gz;
    console.log(`  ${String(gz).padStart(7)} B gzip  ${String(bytes.length).padStart(7)} B raw  ${file}`);
  }
  console.log(`portal JS: ${files.size} files, ${raw} B raw, ${gzip} B gzip (budget ${TARGET_BYTES} B gzip)`);
  summary = { bench: 'portal', value: gzip, unit: 'bytes gzip', target: TARGET_BYTES, ratio: Math.round((gzip / TARGET_BYTES) * 1000) / 1000, ok: gzip <= TARGET_BYTES, raw, files: [...files] };
} catch (error) {
  summary.errors = [String(error?.message ?? error)];
  console.error(`bench portal: ${summary.errors[0]}`);
  process.exitCode = 1;
}
console.log(JSON.stringify(summary));
