import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError, demoToolsOn, describeDatabase, isLoopbackUrl, loadConfig } from './config.js';
import { DatabaseConnectError } from './db/database.js';
import { MigrationError } from './db/migrator.js';
import { DataDirInUseError } from './db/pglite-lock.js';
import { DEMO_ORG, DEMO_USERS, seedDemo } from './seed/demo.js';
import { seedDemoMessaging } from './seed/demo-messaging.js';
import { startServer } from './server.js';
import { tuneHeap } from './heap-tuning.js';

const WEB_DIST = fileURLToPath(new URL('../../web/dist', import.meta.url));

let server: Awaited<ReturnType<typeof startServer>> | null = null;
let stopping = false;
async function stop(signal: string) {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: shutting down`);
  await server?.close();
  process.exit(0);
}
// Installed before anything else, so a signal during boot still shuts down cleanly.
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));

async function main() {
  tuneHeap();
  const config = loadConfig(process.env, { webDist: existsSync(WEB_DIST) ? WEB_DIST : null });
  console.log(`CareText starting: ${describeDatabase(config)}`);
  server = await startServer(config);
  if (stopping) return;
  if (config.seedDemo) {
    const seeded = await seedDemo(server.db);
    if (seeded) {
      await seedDemoMessaging(server).catch((error: Error) => console.warn(`Demo messaging data was not seeded: ${error.message}`));
      console.log(`Seeded the demo organization "${DEMO_ORG}".`);
    }
    console.log('');
    console.log('  Demo sign-in (demo data on this machine only):');
    console.log(`    admin:  ${DEMO_USERS.admin.email}  /  ${DEMO_USERS.admin.password}`);
    console.log(`    member: ${DEMO_USERS.member.email}  /  ${DEMO_USERS.member.password}`);
  }
  const demoTools = demoToolsOn(config);
  const why = config.demoTools === null ? `PUBLIC_URL is ${isLoopbackUrl(config.publicUrl) ? '' : 'not '}a loopback address` : 'DEMO_TOOLS';
  const tools = [!config.smtpUrl && 'Dev mailbox', !config.twilio && 'simulator controls ("reply as the patient")'].filter(Boolean);
  if (demoTools && tools.length) console.log(`  Demo tools ON (${why}): ${tools.join(', ')}. Set DEMO_TOOLS=off to turn them off.`);
  else if (tools.length) console.log(`  Demo tools off (${why}): ${tools.join(', ')}. Set DEMO_TOOLS=on to turn them on.`);
  if (!config.smtpUrl && demoTools) console.log(`  Mail is caught locally: sign in and open ${config.publicUrl}/dev/mailbox (each person sees their own mail)`);
  if (!config.smtpUrl && !demoTools) console.log('  No SMTP_URL: mail is caught locally and not delivered to anyone.');
  if (!config.webDist) console.log('  (web app not built: run `pnpm build` to serve it here)');
  console.log('');
  console.log(`CareText is running at ${server.url}`);
}

main().catch((error: unknown) => {
  const known = [ConfigError, DataDirInUseError, DatabaseConnectError, MigrationError].some((E) => error instanceof E);
  if (known) console.error(`\nCareText could not start.\n${(error as Error).message}\n`);
  else console.error('\nCareText could not start:', error);
  process.exit(1);
});
