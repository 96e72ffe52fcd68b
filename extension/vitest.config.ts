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
    include: ['src/**/*.spec.ts', 'src/**/*.spec.tsx', 'test/**/*.spec.ts'],
  },
});
