// pnpm bench web [--no-build]
//
// Issue 10's budget for the staff web app: the JavaScript a browser must download before the
// sign-in page and before the Inbox can show, each <= 100 KB gzip (zlib default level).
// Read from vite's build manifest (web/dist/.vite/manifest.json; the app is built first when
// the manifest is missing or older than web/src or shared/src): the entry (index.html's
// script) and the route's page chunk (a dynamic import in web/src/app.tsx, fetched when the
// route is first shown), each with every chunk they import statically, transitively. Dynamic
// imports below a page (e.g. a dialog loaded on demand) are not initial and not counted.
// No server, no browser: the figures are exact byte counts, the same on any machine.
// The last line of output is one JSON object (the bench contract in ../shared/ARCHITECTURE.md).
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
const TARGET_GZIP_KB = 100;
/** The routes with a budget, by the source file of their page (the manifest's keys). */
const ROUTES = { signIn: 'src/pages/auth/SignInPage.tsx', inbox: 'src/pages/inbox/InboxPage.tsx' };

const { values: opts } = parseArgs({
  options: { 'no-build': { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
});
if (opts.help) {
  console.log('pnpm bench web [--no-build]');
  console.log('  --no-build  measure web/dist as it is (default: build it when missing or stale)');
  process.exit(0);
}

const newest = (dir) =>
  existsSync(dir)
    ? readdirSync(dir, { withFileTypes: true }).reduce((latest, e) => Math.max(latest, e.isDirectory() ? newest(path.join(dir, e.name)) : statSync(path.join(dir, e.name)).mtimeMs), 0)
    : 0;

function ensureBuilt() {
  const stale = !existsSync(MANIFEST) || statSync(MANIFEST).mtimeMs < Math.max(newest(path.join(WEB, 'src')), newest(path.join(ROOT, 'shared/dist')));
  if (!stale || opts['no-build']) return;
  console.log('building the web app (web/dist is missing or stale)…');
  execFileSync('pnpm', ['--filter', '@caretext/web', 'build'], { cwd: ROOT, stdio: 'inherit' });
}

const kb = (bytes) => Math.round((bytes / 1024) * 10) / 10;
const sizes = new Map();
function size(file) {
  if (!sizes.has(file)) {
    const bytes = readFileSync(path.join(DIST, file));
    sizes.set(file, { raw: bytes.length, gzip: gzipSync(bytes).length });
  }
  return sizes.get(file);
}

/** The JS files `keys` need before they run: each key's file and its static imports, transitively. */
function initialFiles(manifest, keys) {
  const seen = new Set();
  const files = new Set();
  const visit = (key) => {
    if (seen.has(key)) return;
    seen.add(key);
    const chunk = manifest[key];
    if (!chunk) throw new Error(`the manifest has no chunk "${key}" (was the page renamed? update ROUTES in test/bench/web/index.mjs)`);
    if (chunk.file.endsWith('.js')) files.add(chunk.file);
    for (const imported of chunk.imports ?? []) visit(imported);
  };
  keys.forEach(visit);
  return [...files];
}

function measure(manifest, entry, page) {
  const files = initialFiles(manifest, [entry, page]);
  const raw = files.reduce((n, f) => n + size(f).raw, 0);
  const gzip = files.reduce((n, f) => n + size(f).gzip, 0);
  const chunks = Object.fromEntries(files.map((f) => [f, kb(size(f).gzip)]).sort((a, b) => b[1] - a[1]));
  return { page, rawKb: kb(raw), gzipKb: kb(gzip), ratio: Math.round((gzip / 1024 / TARGET_GZIP_KB) * 1000) / 1000, ok: gzip / 1024 <= TARGET_GZIP_KB, chunks };
}

let summary = { bench: 'web', value: null, unit: 'KB gzip', target: TARGET_GZIP_KB, ok: false };
try {
  ensureBuilt();
  const manifest = JSON.parse(readFileSync(MANIFEST, 'utf8'));
  // index.html is the staff app's entry (portal.html, the patient portal's, has its own bench).
  const entry = manifest['index.html']?.isEntry ? 'index.html' : Object.keys(manifest).find((k) => manifest[k].isEntry && k !== 'portal.html');
  if (!entry) throw new Error('the manifest has no entry chunk');
  const routes = Object.fromEntries(Object.entries(ROUTES).map(([name, page]) => [name, measure(manifest, entry, page)]));
  const allJs = Object.values(manifest).map((c) => c.file).filter((f, i, a) => f.endsWith('.js') && a.indexOf(f) === i);
  const total = { files: allJs.length, rawKb: kb(allJs.reduce((n, f) => n + size(f).raw, 0)), gzipKb: kb(allJs.reduce((n, f) => n + size(f).gzip, 0)) };
  for (const [name, r] of Object.entries(routes)) {
    console.log(`${name}: initial JS ${r.rawKb} KB raw, ${r.gzipKb} KB gzip (budget ${TARGET_GZIP_KB} KB gzip, ratio ${r.ratio})`);
    for (const [file, gz] of Object.entries(r.chunks)) console.log(`  ${String(gz).padStart(6)} KB gzip  ${file}`);
  }
  console.log(`all JS: ${total.files} files, ${total.rawKb} KB raw, ${total.gzipKb} KB gzip`);
  const worst = Object.values(routes).reduce((a, b) => (b.gzipKb > a.gzipKb ? b : a));
  summary = { bench: 'web', value: worst.gzipKb, unit: 'KB gzip', target: TARGET_GZIP_KB, ratio: worst.ratio, ok: Object.values(routes).every((r) => r.ok), routes, total };
} catch (error) {
  summary.errors = [String(error?.message ?? error)];
  console.error(`bench web: ${summary.errors[0]}`);
  process.exitCode = 1;
}
console.log(JSON.stringify(summary));
