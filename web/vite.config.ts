import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [preact()],
  // The manifest maps each entry and chunk to its files; test/bench/web reads it (initial JS per route).
  build: { outDir: 'dist', emptyOutDir: true, manifest: true },
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
