import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Some tables run thousands of cases (every GSM-7 character, generated phone numbers): seconds
  // of CPU that a machine busy with the other suites can stretch past Vitest's 5 s default.
  test: { name: 'shared', include: ['src/**/*.spec.ts'], testTimeout: 30_000 },
});
