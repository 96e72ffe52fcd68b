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

  it('points the Twilio SDK elsewhere (a shared simulator) only with credentials; a short send claim for tests', () => {
    const credentials = { TWILIO_ACCOUNT_SID: `AC${'a'.repeat(32)}`, TWILIO_AUTH_TOKEN: 'b'.repeat(32) };
    expect(loadConfig({ ...credentials, TWILIO_API_BASE: 'http://127.0.0.1:4010/twilio' }).twilio).toEqual({ accountSid: credentials.TWILIO_ACCOUNT_SID, authToken: credentials.TWILIO_AUTH_TOKEN, apiBase: 'http://127.0.0.1:4010/twilio' });
    expect(loadConfig(credentials).twilio).toEqual({ accountSid: credentials.TWILIO_ACCOUNT_SID, authToken: credentials.TWILIO_AUTH_TOKEN });
    expect(() => loadConfig({ TWILIO_API_BASE: 'http://127.0.0.1:4010/twilio' })).toThrow('TWILIO_API_BASE needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN');
    expect(() => loadConfig({ ...credentials, TWILIO_API_BASE: 'simulator' })).toThrow('TWILIO_API_BASE: must be an absolute http(s) URL');
    expect(loadConfig({ SEND_CLAIM_TTL_SECONDS: '2' }).sendClaimTtlMs).toBe(2000);
    expect(loadConfig({}).sendClaimTtlMs).toBeNull();
  });

  it('keeps attachments under the data directory unless ATTACHMENTS_DIR says otherwise; 10 MB each by default', () => {
    expect(loadConfig({ DATA_DIR: '/srv/caretext' })).toMatchObject({ attachmentsDir: '/srv/caretext/attachments', attachmentMaxBytes: 10 * 1024 * 1024, urlSigningSecret: null });
    expect(loadConfig({ DATA_DIR: '/srv/caretext', ATTACHMENTS_DIR: '/mnt/shared/files', ATTACHMENT_MAX_MB: '25' })).toMatchObject({ attachmentsDir: '/mnt/shared/files', attachmentMaxBytes: 25 * 1024 * 1024 });
    expect(() => loadConfig({ URL_SIGNING_SECRET: 'short' })).toThrow('URL_SIGNING_SECRET: must be at least 32 characters');
    expect(loadConfig({ URL_SIGNING_SECRET: 's'.repeat(32) }).urlSigningSecret).toBe('s'.repeat(32));
  });

  it('never prints the database password', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://app:s3cret-pw@db.internal:5432/caretext' });
    expect(describeDatabase(config)).not.toContain('s3cret-pw');
    expect(describeDatabase(config)).toContain('db.internal');
    expect(config.seedDemo).toBe(false);
  });
});
