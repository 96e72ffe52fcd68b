#!/usr/bin/env node
// `pnpm bench <name> [args]` runs test/bench/<name>/index.mjs (or test/bench/<name>.mjs) in its
// own Node process, so each bench's memory figures are its own. No name: lists the benches.
// Benches run against the BUILT server (server/dist), like `pnpm start` does.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { constants } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');

/** Benches: folders with an index.mjs, and top-level .mjs files (names starting with _ are helpers). */
function benches() {
  const found = [];
  for (const entry of readdirSync(here, { withFileTypes: true })) {
    if (entry.name.startsWith('_') || entry.name.startsWith('.')) continue;
    if (entry.isDirectory() && existsSync(path.join(here, entry.name, 'index.mjs'))) found.push({ name: entry.name, file: path.join(here, entry.name, 'index.mjs') });
    else if (entry.isFile() && entry.name.endsWith('.mjs') && entry.name !== 'run.mjs') found.push({ name: entry.name.slice(0, -4), file: path.join(here, entry.name) });
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
}

function newestMtime(dir, ext) {
  let newest = 0;
  const walk = (d) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'generated' && entry.name !== 'node_modules') walk(p);
      } else if (entry.name.endsWith(ext) && !entry.name.endsWith('.spec.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  if (existsSync(dir)) walk(dir);
  return newest;
}

/** The built server and shared package must exist; a stale build is only a warning. */
function checkBuild() {
  const missing = [
    ['server/dist/server.js', 'server'],
    ['shared/dist', 'shared'],
    ['server/src/generated/prisma', 'the Prisma client (server/src/generated)'],
  ].filter(([p]) => !existsSync(path.join(root, p)));
  if (missing.length) {
    console.error(`bench: the built server is missing (${missing.map(([p]) => p).join(', ')}).`);
    console.error('Benches run the built code: run `pnpm build` first, then `pnpm bench <name>`.');
    process.exit(2);
  }
  const built = statSync(path.join(root, 'server/dist/server.js')).mtimeMs;
  const sources = Math.max(newestMtime(path.join(root, 'server/src'), '.ts'), newestMtime(path.join(root, 'shared/src'), '.ts'));
  if (sources > built + 1000) {
    console.error(`bench: warning: server/shared sources changed after server/dist was built (${new Date(sources).toISOString()} > ${new Date(built).toISOString()}); run \`pnpm build\` to measure the current code.`);
  }
}

const [name, ...args] = process.argv.slice(2);
const all = benches();
if (!name || name === '--help' || name === '-h' || name === 'list') {
  console.log('usage: pnpm bench <name> [args]   (run `pnpm build` first; benches use server/dist)');
  console.log('available benches:');
  for (const b of all) console.log(`  ${b.name}  (${path.relative(root, b.file)})`);
  process.exit(name ? 0 : all.length ? 0 : 1);
}
const bench = all.find((b) => b.name === name);
if (!bench) {
  console.error(`bench: no bench named "${name}". Available: ${all.map((b) => b.name).join(', ') || '(none)'}`);
  process.exit(2);
}
checkBuild();

const child = spawn(process.execPath, [bench.file, ...args], { cwd: root, stdio: 'inherit' });
// Ctrl-C reaches the child through the terminal's process group; a plain `kill` of this
// process is passed on, so the bench can clean up (temp dirs, scratch database, server).
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? 128 + (constants.signals[signal] ?? 1)));
