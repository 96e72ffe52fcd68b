import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Config } from '../config.js';
import { CONFIG } from '../injection-tokens.js';

/**
 * What a mail is about, for the Dev mailbox's visibility rules (dev-mailbox.router.ts): an
 * org's admins may read its invites and port-in requests; any other mail only its recipient.
 */
export type MailTag = { kind: 'invite' | 'port-in' | 'external-invite'; orgId: string } | { kind: 'sign-up'; grantHash: string };
export type OutgoingMail = { to: string; subject: string; text: string; html?: string; tag?: MailTag };

/** Headers carrying the tag to the embedded sink (a real SMTP server just passes them on). */
export const TAG_HEADERS = { kind: 'x-caretext-kind', org: 'x-caretext-org', grant: 'x-caretext-grant' } as const;

/** The one mailer. SMTP only: in demo mode it points at the embedded sink (see dev-sink.ts). */
@Injectable()
export class MailService implements OnModuleDestroy {
  private readonly logger = new Logger('Mail');
  private transport: Transporter | null = null;

  constructor(@Inject(CONFIG) private readonly config: Config) {}

  /** Set once at boot, after the sink (if any) knows its port. */
  useSmtpUrl(url: string): void {
    this.transport?.close();
    this.transport = nodemailer.createTransport(url);
  }

  async send(mail: OutgoingMail): Promise<void> {
    const url = this.config.smtpUrl;
    if (!this.transport) {
      if (!url) throw new Error('No mail transport configured');
      this.useSmtpUrl(url);
    }
    const { tag, ...message } = mail;
    const headers = !tag
      ? undefined
      : tag.kind === 'sign-up'
        ? { [TAG_HEADERS.kind]: tag.kind, [TAG_HEADERS.grant]: tag.grantHash }
        : { [TAG_HEADERS.kind]: tag.kind, [TAG_HEADERS.org]: tag.orgId };
    await this.transport!.sendMail({ from: this.config.mailFrom, ...message, headers });
    // The recipient is not PHI-bearing here (staff invites, resets); never log bodies: links are secrets.
    this.logger.log(`sent "${mail.subject}" to ${mail.to}`);
  }

  onModuleDestroy(): void {
    this.transport?.close();
  }
}
