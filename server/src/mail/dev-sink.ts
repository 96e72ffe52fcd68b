import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { Database } from '../db/database.js';
import { TAG_HEADERS } from './mail.service.js';

/**
 * A real SMTP server on loopback that stores what it receives, so `pnpm start` sends invite
 * and reset mail with no mail account, and the Dev mailbox page shows it.
 */
export async function startDevMailSink(db: Database): Promise<{ url: string; close(): Promise<void> }> {
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    banner: 'CareText dev mail sink',
    size: 10 * 1024 * 1024,
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then(async (mail) => {
          // Bare addresses, lowercased: the Dev mailbox matches them exactly against the viewer's email.
          const to = (Array.isArray(mail.to) ? mail.to : mail.to ? [mail.to] : [])
            .flatMap((group) => group.value.map((a) => a.address?.toLowerCase() ?? ''))
            .filter(Boolean)
            .join(', ');
          const header = (name: string) => {
            const value = mail.headers.get(name);
            return typeof value === 'string' && value ? value : null;
          };
          await db.prisma.devMail.create({
            data: {
              from: mail.from?.text ?? '',
              to,
              subject: mail.subject ?? '(no subject)',
              text: mail.text ?? '',
              html: typeof mail.html === 'string' ? mail.html : null,
              kind: header(TAG_HEADERS.kind),
              orgId: header(TAG_HEADERS.org),
              grantHash: header(TAG_HEADERS.grant),
            },
          });
          callback();
        })
        .catch((error: Error) => callback(error));
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `smtp://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
