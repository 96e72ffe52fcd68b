import { fileURLToPath } from 'node:url';

/**
 * `@caretext/shared/<module>` -> shared/src/<module>.ts. The content script imports single
 * modules of the shared package (sms-segments, phi-guard, …) instead of its barrel, whose
 * schemas pull zod in: crxjs builds the content script without our rolldown options, and it
 * must stay under 30 KB gzip.
 */
/** The shared package's directory (where its modules resolve to, through pnpm's link). */
export const SHARED_PACKAGE = fileURLToPath(new URL('../shared/', import.meta.url));

export const sharedModules = {
  find: /^@caretext\/shared\/([a-z-]+)$/,
  replacement: fileURLToPath(new URL('../shared/src/$1.ts', import.meta.url)),
};
