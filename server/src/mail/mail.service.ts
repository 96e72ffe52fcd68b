import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Config } from '../config.js';
import { CONFIG } from '../tokens.js';

export type OutgoingMail = { to: string; subject: string; text: string; html?: string };

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
    await this.transport!.sendMail({ from: this.config.mailFrom, ...mail });
    // The recipient is not PHI-bearing here (staff invites, resets); never log bodies: links are secrets.
    this.logger.log(`sent "${mail.subject}" to ${mail.to}`);
  }

  onModuleDestroy(): void {
    this.transport?.close();
  }
}
