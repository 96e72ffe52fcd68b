import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { Database } from '../db/database.js';

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
          const to = Array.isArray(mail.to) ? mail.to.map((a) => a.text).join(', ') : (mail.to?.text ?? '');
          await db.prisma.devMail.create({
            data: {
              from: mail.from?.text ?? '',
              to,
              subject: mail.subject ?? '(no subject)',
              text: mail.text ?? '',
              html: typeof mail.html === 'string' ? mail.html : null,
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
