import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Entry points (tRPC routers, plain HTTP routes, webhooks) parse input and call services; the
 * services own queries, access checks and the audit log. This keeps it true.
 */
const src = fileURLToPath(new URL('.', import.meta.url));

function entryPoints(): string[] {
  const files = (readdirSync(src, { recursive: true }) as string[]).map((f) => f.replaceAll('\\', '/'));
  return files.filter((f) => !f.endsWith('.spec.ts') && (/\.(router|http)\.ts$/.test(f) || /^(http|webhooks)\/[^/]+\.ts$/.test(f)));
}

/** What an entry point must not reach for, and why. */
const FORBIDDEN: { pattern: RegExp; what: string; except?: string }[] = [
  { pattern: /from '[^']*\/db\/database\.js'/, what: 'imports the database (query through a service)' },
  { pattern: /from '[^']*\/generated\/prisma\//, what: 'imports Prisma types (query through a service)' },
  { pattern: /\.prisma\.|\bprisma\./, what: 'queries Prisma' },
  { pattern: /\bdb\.sql\b|\.sql\.query\(/, what: 'runs SQL' },
  // The audit log's own router reads the log through its service: that is its domain.
  { pattern: /\bAuditService\b/, what: 'uses the audit log (a service records what it does)', except: 'audit/audit.router.ts' },
];

describe('layering', () => {
  it('finds the entry points', () => {
    const files = entryPoints();
    expect(files).toEqual(expect.arrayContaining(['conversations/conversations.router.ts', 'numbers/numbers.http.ts', 'messages/simulator.router.ts', 'http/simulator-controls.ts', 'webhooks/twilio-webhooks.ts']));
  });

  it('routers and HTTP routes call services, never the database or the audit log', () => {
    const offences: string[] = [];
    for (const file of entryPoints()) {
      const text = readFileSync(join(src, file), 'utf8');
      for (const { pattern, what, except } of FORBIDDEN) if (file !== except && pattern.test(text)) offences.push(`${file} ${what}`);
    }
    expect(offences).toEqual([]);
  });
});
