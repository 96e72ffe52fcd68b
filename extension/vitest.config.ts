import preact from '@preact/preset-vite';
import { defineConfig } from 'vitest/config';
import { sharedModules } from './shared-modules.ts';

/** Unit tests (adapters on fixture HTML, background logic over fake IndexedDB, sidebar UI) without the crx plugin. */
export default defineConfig({
  plugins: [preact()],
  resolve: { alias: [sharedModules] },
  test: {
    name: 'extension',
    environment: 'jsdom',
    // The same after-paint wait as the web app's (a Preact timeout must not outlive jsdom).
    setupFiles: ['../test/tools/preact-jsdom-setup.ts'],
    include: ['src/**/*.spec.ts', 'src/**/*.spec.tsx', 'test/**/*.spec.ts'],
  },
});
