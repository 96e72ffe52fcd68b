import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type Express, type Request, type Response } from 'express';
import { Logger } from '@nestjs/common';
import type { Carrier } from '../carriers/carrier.js';
import type { InboundService, InboundSms } from '../messages/inbound.service.js';
import type { StatusCallback, StatusService } from '../messages/status.service.js';
import { WEBHOOK_PATHS } from '../numbers/numbers.service.js';
import { isDatabaseUnavailable, RETRY_AFTER_SECONDS } from '../db/unavailable.js';
import { cleanParams } from './clean-params.js';

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

  app.post(WEBHOOK_PATHS.inbound, form, async (req, res) => {
    const signed = verified(req, res);
    if (!signed) return;
    // Checked as signed, stored clean: control characters never reach the database.
    const params = cleanParams(signed);
    if (!params.MessageSid || !params.From || !params.To) {
      res.status(400).type('text/plain').send('MessageSid, From and To are required');
      return;
    }
    try {
      await deps.inbound.receive(params as InboundSms);
      // Empty TwiML: replies (HELP) go out through the queue like any message.
      res.type('text/xml').send('<?xml version="1.0" encoding="UTF-8"?><Response></Response>');
    } catch (error) {
      const answer = failedCallback(`inbound ${params.MessageSid}`, error);
      res.status(answer.status).set(answer.headers).end();
    }
  });
}

const MAX_CALLBACK_BYTES = 64 * 1024;

/**
 * The status webhook as a plain Node handler, in front of Express: during a blast Twilio calls
 * it thousands of times a second, and Express's routing, body parsing and response helpers
 * were most of its cost. Same rules: signature checked against PUBLIC_URL + path, 403 for a
 * forged call, answered only once the callback is stored.
 */
export function statusWebhookHandler(deps: { config: { publicUrl: string }; carrier: Carrier; status: StatusService }) {
  const reply = (res: ServerResponse, code: number, text = '') => {
    res.writeHead(code, text ? { 'content-type': 'text/plain' } : {});
    res.end(text);
  };
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let body = '';
    req.setEncoding('utf8');
    for await (const chunk of req) {
      body += chunk as string;
      if (body.length > MAX_CALLBACK_BYTES) return reply(res, 413, 'Callback too large');
    }
    const signed = Object.fromEntries(new URLSearchParams(body));
    if (!deps.carrier.verifyWebhook(deps.config.publicUrl + req.url, signed, req.headers['x-twilio-signature'] as string | undefined)) {
      logger.warn(`rejected ${WEBHOOK_PATHS.status}: bad or missing X-Twilio-Signature from ${req.socket.remoteAddress}`);
      return reply(res, 403, 'Invalid signature');
    }
    const params = cleanParams(signed);
    if (!params.MessageSid || !(params.MessageStatus || params.SmsStatus)) return reply(res, 400, 'MessageSid and MessageStatus are required');
    try {
      await deps.status.receive(params as StatusCallback);
      reply(res, 204);
    } catch (error) {
      const answer = failedCallback(`status callback ${params.MessageSid}`, error);
      res.writeHead(answer.status, answer.headers);
      res.end();
    }
  };
}

/**
 * A callback we could not store is answered with a 5xx, never a 2xx, so the carrier sends it
 * again (our simulator retries 5xx; Twilio per its retry rules). The database being away (a
 * restart, a failover) is a 503 with Retry-After, as the API answers then.
 */
function failedCallback(what: string, error: unknown): { status: number; headers: Record<string, string> } {
  if (isDatabaseUnavailable(error)) {
    logger.warn(`${what}: database unavailable (${(error as Error).message}): answered 503, the carrier will retry`);
    return { status: 503, headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) } };
  }
  logger.error(`${what}: ${(error as Error).message}`);
  return { status: 500, headers: {} };
}
