import express, { type Express, type Request, type Response } from 'express';
import { Logger } from '@nestjs/common';
import type { Carrier } from '../carriers/carrier.js';
import type { InboundService, InboundSms } from '../messages/inbound.service.js';
import type { StatusCallback, StatusService } from '../messages/status.service.js';
import { WEBHOOK_PATHS } from '../numbers/numbers.service.js';

const logger = new Logger('Webhooks');

/**
 * Twilio's callbacks. The signature is checked against PUBLIC_URL + the path Twilio called
 * (never the Host header); a forged or unsigned call gets 403, is logged, and changes nothing.
 */
export function mountTwilioWebhooks(app: Express, deps: { publicUrl: string; config: { publicUrl: string }; carrier: Carrier; status: StatusService; inbound: InboundService }): void {
  const verified = (req: Request, res: Response): Record<string, string> | null => {
    const params = (req.body ?? {}) as Record<string, string>;
    // Read at call time: tests learn their port (and so PUBLIC_URL) after the routes are mounted.
    const url = deps.config.publicUrl + req.originalUrl;
    if (!deps.carrier.verifyWebhook(url, params, req.header('x-twilio-signature'))) {
      logger.warn(`rejected ${req.path}: bad or missing X-Twilio-Signature from ${req.ip}`);
      res.status(403).type('text/plain').send('Invalid signature');
      return null;
    }
    return params;
  };

  // Our own parser: these routes are mounted before Nest installs its global ones.
  const form = express.urlencoded({ extended: false, limit: '100kb' });

  app.post(WEBHOOK_PATHS.status, form, async (req, res) => {
    const params = verified(req, res);
    if (!params) return;
    if (!params.MessageSid || !(params.MessageStatus || params.SmsStatus)) {
      res.status(400).type('text/plain').send('MessageSid and MessageStatus are required');
      return;
    }
    try {
      await deps.status.receive(params as StatusCallback);
      res.status(204).end();
    } catch (error) {
      logger.error(`status callback ${params.MessageSid}: ${(error as Error).message}`);
      res.status(500).end(); // Twilio retries
    }
  });

  app.post(WEBHOOK_PATHS.inbound, form, async (req, res) => {
    const params = verified(req, res);
    if (!params) return;
    if (!params.MessageSid || !params.From || !params.To) {
      res.status(400).type('text/plain').send('MessageSid, From and To are required');
      return;
    }
    try {
      await deps.inbound.receive(params as InboundSms);
      // Empty TwiML: replies (HELP) go out through the queue like any message.
      res.type('text/xml').send('<?xml version="1.0" encoding="UTF-8"?><Response></Response>');
    } catch (error) {
      logger.error(`inbound ${params.MessageSid}: ${(error as Error).message}`);
      res.status(500).end();
    }
  });
}
