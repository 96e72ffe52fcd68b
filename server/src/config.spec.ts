import { describe, expect, it } from 'vitest';
import { ConfigError, describeDatabase, loadConfig } from './config.js';

describe('config', () => {
  it('defaults to embedded PGlite in ./data on port 3000 with the demo seeded', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 3000, databaseUrl: null, smtpUrl: null, twilio: null, seedDemo: true, publicUrl: 'http://localhost:3000' });
    expect(config.dataDir).toMatch(/\/data$/);
  });

  it.each([
    ['DATABASE_URL', 'localhost:5432/db', 'DATABASE_URL: must look like postgres://'],
    ['DATABASE_URL', 'mysql://root@localhost/db', 'DATABASE_URL: must look like postgres://'],
    ['PORT', 'eighty', 'PORT:'],
    ['PORT', '70000', 'PORT:'],
    ['SMTP_URL', 'mail.example.com', 'SMTP_URL: must look like smtp://'],
    ['PUBLIC_URL', 'caretext.example.com', 'PUBLIC_URL: must be an absolute'],
    ['TWILIO_ACCOUNT_SID', 'XX123', 'TWILIO_ACCOUNT_SID: must start with AC'],
  ])('a bad %s (%s) stops the boot with a message naming it', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });

  it('needs both Twilio credentials or neither', () => {
    expect(() => loadConfig({ TWILIO_ACCOUNT_SID: `AC${'a'.repeat(32)}` })).toThrow('must be set together');
  });

  it('never prints the database password', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://app:s3cret-pw@db.internal:5432/caretext' });
    expect(describeDatabase(config)).not.toContain('s3cret-pw');
    expect(describeDatabase(config)).toContain('db.internal');
    expect(config.seedDemo).toBe(false);
  });
});
