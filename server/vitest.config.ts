import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

// Nest's dependency injection needs decorator metadata, which only SWC (not esbuild/oxc) emits.
export default defineConfig({
  plugins: [swc.vite({ module: { type: 'es6' } })],
  test: {
    name: 'server',
    include: ['src/**/*.spec.ts', 'test/**/*.spec.ts'],
    // Files of a worker share one module graph (no fresh import of Nest, Prisma and the app per
    // file): the server suites import ~700 s less on a 2-CPU machine (main lane 1,472 -> 1,042 s
    // in a full run), and nothing in them mocks modules or changes the environment.
    isolate: false,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    globalSetup: ['test/global-setup.ts'],
  },
});
