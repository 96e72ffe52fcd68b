import { fileURLToPath } from 'node:url';
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [preact()],
  // The manifest maps each entry and chunk to its files; test/bench/web reads it (initial JS per route).
  // Two entries: the staff app (index.html) and the patient portal (portal.html, served at
  // /p/<token>), which imports nothing of the staff app and stays small (test/bench/portal).
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    manifest: true,
    rollupOptions: { input: { index: fileURLToPath(new URL('index.html', import.meta.url)), portal: fileURLToPath(new URL('portal.html', import.meta.url)) } },
  },
  server: {
    port: 5173,
    // The API runs separately in development (`pnpm dev` at the root); same-origin in production.
    // /api carries the CSV upload and the import report download.
    proxy: {
      '/trpc': { target: process.env.CARETEXT_API_URL ?? 'http://localhost:3000' },
      '/api': { target: process.env.CARETEXT_API_URL ?? 'http://localhost:3000' },
    },
  },
});
