import { defineConfig, mergeConfig } from 'vitest/config';
import viteConfig from './vite.config.ts';

export default mergeConfig(
  viteConfig,
  defineConfig({
    test: {
      name: 'web',
      environment: 'jsdom',
      setupFiles: ['../test/tools/preact-jsdom-setup.ts'],
      include: ['src/**/*.spec.ts', 'src/**/*.spec.tsx'],
    },
  }),
);
