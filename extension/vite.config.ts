import { crx } from '@crxjs/vite-plugin';
import preact from '@preact/preset-vite';
import { defineConfig, type UserConfig } from 'vite';
import manifest from './manifest.config.ts';
import { SHARED_PACKAGE, sharedModules } from './shared-modules.ts';

export default defineConfig({
  resolve: { alias: [sharedModules] },
  // crxjs builds the standalone content script in a nested vite build that gets `esbuild` (not
  // `oxc`) from this config; without this its JSX is compiled in development mode (source paths,
  // line numbers: bigger, and our file paths in the bundle).
  esbuild: { jsxDev: false } as unknown as UserConfig['esbuild'],
  plugins: [
    preact(),
    // The content script is one self-contained file (no loader, no dynamic import): it starts
    // sooner and shares no chunk with the background, which carries the tRPC client and Dexie.
    crx({ manifest, contentScripts: { standaloneFiles: ['src/content/main.tsx'] } }),
  ],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'chrome120',
    sourcemap: false,
    rolldownOptions: {
      // @caretext/shared is pure functions (ARCHITECTURE.md), but its package.json does not say
      // so ("sideEffects": false): without this the background carries zod's schemas too.
      treeshake: { moduleSideEffects: (id: string) => !id.startsWith(SHARED_PACKAGE) },
    },
  },
});
