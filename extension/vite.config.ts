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
    // The content script (registered at runtime; the background imports its path with ?script)
    // is one self-contained file: it starts sooner and shares no chunk with the background.
    crx({ manifest, contentScripts: { standaloneFiles: ['src/content/reader.ts'] } }),
  ],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'chrome120',
    sourcemap: false,
    rolldownOptions: {
      // The sidebar page (framed into EHR tabs): crxjs builds the popup from the manifest, not
      // pages listed only in web_accessible_resources.
      input: { sidebar: 'src/sidebar/index.html' },
      // @caretext/shared is pure functions (ARCHITECTURE.md), but its package.json does not say
      // so ("sideEffects": false): without this the background carries zod's schemas too.
      treeshake: { moduleSideEffects: (id: string) => !id.startsWith(SHARED_PACKAGE) },
    },
  },
});
