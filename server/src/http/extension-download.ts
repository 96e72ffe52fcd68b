import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Express } from 'express';
import { zipSync } from 'fflate';

export const EXTENSION_ZIP_PATH = '/downloads/caretext-extension.zip';

/** Every file under `dir`, as zip entries with paths relative to it. */
function filesOf(dir: string, prefix = ''): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) Object.assign(out, filesOf(full, `${prefix}${entry.name}/`));
    else out[`${prefix}${entry.name}`] = readFileSync(full);
  }
  return out;
}

/**
 * The built extension as a zip for staff to load unpacked ("Get the extension" page). Built on
 * first request and kept until extension/dist changes; 404 with a hint when it was not built.
 */
export function mountExtensionDownload(app: Express, distDir: string): void {
  let cached: { builtAt: number; zip: Buffer } | null = null;
  app.get(EXTENSION_ZIP_PATH, (_req, res) => {
    const manifest = path.join(distDir, 'manifest.json');
    if (!existsSync(manifest)) {
      res.status(404).type('text/plain').send('The extension is not built on this server. Run `pnpm build` (or `pnpm --filter @caretext/extension build`).');
      return;
    }
    const builtAt = statSync(manifest).mtimeMs;
    if (!cached || cached.builtAt !== builtAt) cached = { builtAt, zip: Buffer.from(zipSync(filesOf(distDir), { level: 6 })) };
    res.setHeader('Content-Type', 'application/zip');
    res.setHeader('Content-Disposition', 'attachment; filename="caretext-extension.zip"');
    res.send(cached.zip);
  });
  app.get('/downloads/extension-info.json', (_req, res) => {
    const manifest = path.join(distDir, 'manifest.json');
    if (!existsSync(manifest)) return void res.json({ available: false });
    const { version, name } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string; name: string };
    res.json({ available: true, version, name, builtAt: new Date(statSync(manifest).mtimeMs).toISOString() });
  });
}
