import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

// Nest's dependency injection needs decorator metadata, which only SWC (not esbuild/oxc) emits.
export default defineConfig({
  plugins: [swc.vite({ module: { type: 'es6' } })],
  test: {
    name: 'server',
    include: ['src/**/*.spec.ts', 'test/**/*.spec.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    globalSetup: ['test/global-setup.ts'],
  },
});
