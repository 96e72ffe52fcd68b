/**
 * The simulated Twilio account: numbers, messages, opt-outs and the message lifecycle. HTTP lives
 * in twilio-simulator.ts; this file holds the rules, so they read without request plumbing.
 */
import { smsSegments } from '@caretext/shared';
import type { Clock } from '../../clock.js';
import { inventory, locate, nationalFormat } from './area-codes.js';
import { destinationFor, isDialable } from './destinations.js';
import { OptOutRegistry, type OptOutType } from './opt-outs.js';
import {
  API_VERSION,
  availableNumberJson,
  incomingNumberJson,
  lookupJson,
  messageJson,
  newSid,
  priceFor,
  type MessageStatus,
  type SimulatedMessage,
  type SimulatedNumber,
} from './resources.js';
import type { DeferredWork, WebhookDelivery, WebhookSender } from './webhooks.js';

/** A Twilio REST error: the simulator answers it as `{ code, message, more_info, status }`. */
export class TwilioApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** A bad call to the simulator's own (non-Twilio) entry points, such as simulateInbound. */
export class SimulatorInputError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 404 = 400,
  ) {
    super(message);
  }
}

export type InboundInput = { from: string; to: string; body: string; mediaUrls?: string[] };
export type InboundResult = { sid: string; optOutType: OptOutType | null; webhook: WebhookDelivery | null };

type Form = Record<string, unknown>;

export type SimulatedTwilioOptions = {
  accountSid: string;
  clock: Clock;
  deliver: 'auto' | 'manual';
  delays: { sentMs: number; finalMs: number };
  lookupBaseUrl: string;
  work: DeferredWork;
  webhooks: WebhookSender;
};

function one(value: unknown): string | undefined {
  const v = Array.isArray(value) ? value[value.length - 1] : value;
  return typeof v === 'string' ? v : undefined;
}

function many(value: unknown): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string' && v !== '');
}

const CONTENT_TYPES: Record<string, string> = { jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', gif: 'image/gif', pdf: 'application/pdf', mp4: 'video/mp4' };

function contentTypeOf(url: string): string {
  const ext = /\.([a-z0-9]+)(?:[?#]|$)/i.exec(url)?.[1]?.toLowerCase();
  return (ext && CONTENT_TYPES[ext]) ?? 'image/jpeg';
}

/** "2604221614": the carrier's delivery-report time, yyMMddHHmm in UTC. */
function rawDlrDate(date: Date): string {
  return date.toISOString().replace(/\D/g, '').slice(2, 12);
}

function decodeXml(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}

export class SimulatedTwilio {
  private readonly messages = new Map<string, SimulatedMessage>();
  private readonly numbers = new Map<string, SimulatedNumber>();
  private readonly moving = new Set<string>();
  readonly optOuts = new OptOutRegistry();

  constructor(private readonly o: SimulatedTwilioOptions) {}

  // ---- Messages ----

  createMessage(form: Form): { json: ReturnType<typeof messageJson>; message: SimulatedMessage } {
    const to = one(form.To)?.trim();
    const from = one(form.From)?.trim();
    const body = one(form.Body) ?? '';
    const mediaUrls = many(form.MediaUrl);
    if (!to) throw new TwilioApiError(400, 21604, "A 'To' phone number is required.");
    const destination = destinationFor(to);
    if (destination.outcome.kind === 'rejected' && destination.outcome.errorCode === 21211) {
      throw new TwilioApiError(400, 21211, `The 'To' number ${to} is not a valid phone number.`);
    }
    if (!from) throw new TwilioApiError(400, 21603, "A 'From' phone number is required.");
    if (!isDialable(from)) throw new TwilioApiError(400, 21212, `The 'From' number ${from} is not a valid phone number, shortcode, or alphanumeric sender ID.`);
    if (!this.numbers.has(from)) {
      throw new TwilioApiError(400, 21606, `The 'From' phone number provided (${from}) is not a valid message-capable Twilio phone number for this destination/account.`);
    }
    if (body.trim() === '' && mediaUrls.length === 0) throw new TwilioApiError(400, 21602, 'Message body is required.');
    if (body.length > 1600) throw new TwilioApiError(400, 21617, 'The concatenated message body exceeds the 1600 character limit.');
    if (mediaUrls.length > 10) throw new TwilioApiError(400, 21623, 'Number of media files exceeds allowed limit.');
    if (this.optOuts.isOptedOut(from, to)) throw new TwilioApiError(400, 21610, 'Attempt to send to unsubscribed recipient');
    if (destination.outcome.kind === 'rejected') {
      const text = destination.outcome.errorCode === 21614 ? `'To' number ${to} is not a valid mobile number` : `The 'To' number ${to} cannot be a landline.`;
      throw new TwilioApiError(400, destination.outcome.errorCode, text);
    }
    const now = this.o.clock.now();
    const message: SimulatedMessage = {
      sid: newSid(mediaUrls.length ? 'MM' : 'SM'),
      direction: 'outbound-api',
      from,
      to,
      body,
      mediaUrls,
      status: 'queued',
      errorCode: null,
      statusCallback: one(form.StatusCallback) ?? null,
      numSegments: Math.max(1, smsSegments(body).segments),
      price: null,
      dateCreated: now,
      dateUpdated: now,
      dateSent: null,
    };
    this.messages.set(message.sid, message);
    return { json: messageJson(this.o.accountSid, message), message };
  }

  /** Called once the API has answered: in 'auto' mode the message moves on by itself. */
  accepted(message: SimulatedMessage) {
    if (this.o.deliver === 'auto') this.progress(message);
  }

  fetchMessage(sid: string, path: string) {
    const message = this.messages.get(sid);
    if (!message) throw notFound(path);
    return messageJson(this.o.accountSid, message);
  }

  /**
   * The account's messages, newest first, as Twilio lists them: filtered by To and From, in pages
   * of PageSize (default 50, at most 1000). The page token is the offset of the page's first
   * message (Twilio's is opaque): a message added meanwhile shifts the list, so a page may repeat
   * the previous page's last message, never skip one.
   */
  listMessagesPage(query: Form, uri: string) {
    const to = one(query.To);
    const from = one(query.From);
    const pageSize = Math.min(Math.max(Number(one(query.PageSize) ?? 50) || 50, 1), 1000);
    const page = Math.max(0, Number(one(query.Page) ?? 0) || 0);
    const offset = Math.max(0, Number(/^PA(\d+)$/.exec(one(query.PageToken) ?? '')?.[1] ?? page * pageSize));
    const matching = [...this.messages.values()]
      .filter((m) => (!to || m.to === to) && (!from || m.from === from))
      .sort((a, b) => b.dateCreated.getTime() - a.dateCreated.getTime());
    const found = matching.slice(offset, offset + pageSize);
    const link = (n: number, token?: string) =>
      `${uri}?${new URLSearchParams({ ...(to ? { To: to } : {}), ...(from ? { From: from } : {}), PageSize: String(pageSize), Page: String(n), ...(token ? { PageToken: token } : {}) })}`;
    return {
      messages: found.map((m) => messageJson(this.o.accountSid, m)),
      end: offset + Math.max(0, found.length - 1),
      first_page_uri: link(0),
      next_page_uri: offset + pageSize < matching.length ? link(page + 1, `PA${offset + pageSize}`) : null,
      page,
      page_size: pageSize,
      previous_page_uri: page > 0 ? link(page - 1, `PA${Math.max(0, offset - pageSize)}`) : null,
      start: offset,
      uri: link(page, one(query.PageToken)),
    };
  }

  /** Moves queued outbound messages (one, or all) through their outcome; resolves when their callbacks are done. */
  async deliver(sid?: string): Promise<void> {
    for (const message of this.messages.values()) {
      if (message.direction === 'outbound-api' && message.status === 'queued' && (!sid || message.sid === sid)) this.progress(message);
    }
    await this.o.work.settle();
  }

  private progress(message: SimulatedMessage) {
    if (this.moving.has(message.sid)) return;
    this.moving.add(message.sid);
    const outcome = destinationFor(message.to).outcome;
    const { sentMs, finalMs } = this.o.delays;
    if (outcome.kind === 'failed') {
      this.o.work.later(sentMs, () => this.transition(message, 'failed', outcome.errorCode));
      return;
    }
    this.o.work.later(sentMs, async () => {
      await this.transition(message, 'sent', null);
      this.o.work.later(finalMs, () =>
        outcome.kind === 'undelivered' ? this.transition(message, 'undelivered', outcome.errorCode) : this.transition(message, 'delivered', null),
      );
    });
  }

  private async transition(message: SimulatedMessage, status: MessageStatus, errorCode: number | null) {
    const now = this.o.clock.now();
    message.status = status;
    message.errorCode = errorCode;
    message.dateUpdated = now;
    if (status === 'sent') {
      message.dateSent = now;
      message.price = priceFor(message.numSegments);
    }
    await this.sendStatusCallback(message.sid, status, errorCode);
  }

  /**
   * Posts a status callback for a message as Twilio would, without changing the message: tests use
   * it to replay duplicates or send statuses out of order.
   */
  async sendStatusCallback(sid: string, status: MessageStatus, errorCode: number | null = null): Promise<WebhookDelivery | null> {
    const message = this.messages.get(sid);
    if (!message) throw new SimulatorInputError(`no message ${sid}`, 404);
    if (!message.statusCallback) return null;
    const params: Record<string, string> = {
      ApiVersion: API_VERSION,
      AccountSid: this.o.accountSid,
      From: message.from,
      To: message.to,
      MessageSid: message.sid,
      SmsSid: message.sid,
      MessageStatus: status,
      SmsStatus: status,
    };
    if (errorCode !== null) params.ErrorCode = String(errorCode);
    if (status === 'delivered' || status === 'undelivered') params.RawDlrDoneDate = rawDlrDate(this.o.clock.now());
    return this.o.work.track(this.o.webhooks.post('status', message.statusCallback, params));
  }

  listMessages(): readonly SimulatedMessage[] {
    return [...this.messages.values()];
  }

  // ---- Inbound ("reply as the patient") ----

  async simulateInbound(input: InboundInput): Promise<InboundResult> {
    const from = input.from?.trim();
    const to = input.to?.trim();
    if (!from || !isDialable(from)) throw new SimulatorInputError(`from must be an E.164 phone number, got ${JSON.stringify(input.from)}`);
    const number = to ? this.numbers.get(to) : undefined;
    if (!number) throw new SimulatorInputError(`${to || 'to'} is not a phone number of this account`, 404);
    const body = input.body ?? '';
    const mediaUrls = input.mediaUrls ?? [];
    const optOutType = this.optOuts.apply(number.phoneNumber, from, body);
    const now = this.o.clock.now();
    const sid = newSid(mediaUrls.length ? 'MM' : 'SM');
    const numSegments = Math.max(1, smsSegments(body).segments);
    this.messages.set(sid, { sid, direction: 'inbound', from, to: number.phoneNumber, body, mediaUrls, status: 'received', errorCode: null, statusCallback: null, numSegments, price: null, dateCreated: now, dateUpdated: now, dateSent: now });
    if (!number.smsUrl) return { sid, optOutType, webhook: null };

    const ours = locate(number.phoneNumber);
    const theirs = locate(from);
    const params: Record<string, string> = {
      ToCountry: ours?.country ?? 'US',
      ToState: ours?.region ?? '',
      SmsMessageSid: sid,
      NumMedia: String(mediaUrls.length),
      ToCity: ours?.locality.toUpperCase() ?? '',
      FromZip: theirs?.postalCode ?? '',
      SmsSid: sid,
      FromState: theirs?.region ?? '',
      SmsStatus: 'received',
      FromCity: theirs?.locality.toUpperCase() ?? '',
      Body: body,
      FromCountry: theirs?.country ?? (from.startsWith('+1') ? 'US' : ''),
      To: number.phoneNumber,
      ToZip: ours?.postalCode ?? '',
      NumSegments: String(numSegments),
      MessageSid: sid,
      AccountSid: this.o.accountSid,
      From: from,
      ApiVersion: API_VERSION,
    };
    mediaUrls.forEach((url, i) => {
      params[`MediaContentType${i}`] = contentTypeOf(url);
      params[`MediaUrl${i}`] = url;
    });
    if (optOutType) params.OptOutType = optOutType;
    const webhook = await this.o.work.track(this.o.webhooks.post('inbound', number.smsUrl, params));
    this.recordTwimlReplies(webhook, number.phoneNumber, from);
    return { sid, optOutType, webhook };
  }

  /** A TwiML answer with <Message> elements is a reply Twilio sends back; we record it as sent. */
  private recordTwimlReplies(webhook: WebhookDelivery, ours: string, theirs: string) {
    if (!webhook.status || webhook.status >= 300 || !webhook.responseBody) return;
    for (const match of webhook.responseBody.matchAll(/<Message(?:\s[^>]*)?>([\s\S]*?)<\/Message>/g)) {
      const body = decodeXml(match[1]!.replace(/<Body>([\s\S]*?)<\/Body>/, '$1').trim());
      const now = this.o.clock.now();
      const sid = newSid('SM');
      this.messages.set(sid, { sid, direction: 'outbound-reply', from: ours, to: theirs, body, mediaUrls: [], status: 'delivered', errorCode: null, statusCallback: null, numSegments: Math.max(1, smsSegments(body).segments), price: priceFor(1), dateCreated: now, dateUpdated: now, dateSent: now });
    }
  }

  // ---- Phone numbers ----

  listAvailable(country: string, query: Form, uri: string) {
    const areaCode = one(query.AreaCode);
    const pageSize = Math.min(Math.max(Number(one(query.PageSize) ?? 20) || 20, 1), 50);
    const found = areaCode ? inventory(country, areaCode, pageSize, (phone) => this.numbers.has(phone)) : [];
    return { available_phone_numbers: found.map((n) => availableNumberJson(n.phoneNumber, n.info, country)), uri };
  }

  buyNumber(form: Form) {
    let phoneNumber = one(form.PhoneNumber)?.trim();
    const areaCode = one(form.AreaCode);
    if (!phoneNumber && areaCode) {
      phoneNumber = inventory('US', areaCode, 1, (phone) => this.numbers.has(phone))[0]?.phoneNumber;
      if (!phoneNumber) throw new TwilioApiError(400, 21452, `No phone numbers found in area code ${areaCode}`);
    }
    if (!phoneNumber) throw new TwilioApiError(400, 21421, 'PhoneNumber is required.');
    if (!isDialable(phoneNumber)) throw new TwilioApiError(400, 21421, `PhoneNumber ${phoneNumber} is invalid.`);
    // Numbers with a special-behaviour suffix are someone's landline or dead line: never for sale.
    if (this.numbers.has(phoneNumber) || destinationFor(phoneNumber).suffix !== null) {
      throw new TwilioApiError(400, 21422, 'PhoneNumber Requested is not available');
    }
    const record = this.registerNumber({
      phoneNumber,
      smsUrl: one(form.SmsUrl) ?? null,
      smsMethod: one(form.SmsMethod) === 'GET' ? 'GET' : 'POST',
      statusCallback: one(form.StatusCallback) ?? null,
      statusCallbackMethod: one(form.StatusCallbackMethod) === 'GET' ? 'GET' : 'POST',
      friendlyName: one(form.FriendlyName),
    });
    return incomingNumberJson(this.o.accountSid, record);
  }

  /** Adds (or updates) a number on the account without the purchase rules: boot-time re-registration, fixtures. */
  registerNumber(input: {
    phoneNumber: string;
    smsUrl?: string | null;
    smsMethod?: 'GET' | 'POST';
    statusCallback?: string | null;
    statusCallbackMethod?: 'GET' | 'POST';
    friendlyName?: string;
    sid?: string;
  }): SimulatedNumber {
    const existing = this.numbers.get(input.phoneNumber);
    const now = this.o.clock.now();
    const record: SimulatedNumber = {
      sid: input.sid ?? existing?.sid ?? newSid('PN'),
      phoneNumber: input.phoneNumber,
      friendlyName: input.friendlyName ?? existing?.friendlyName ?? nationalFormat(input.phoneNumber),
      smsUrl: input.smsUrl ?? existing?.smsUrl ?? null,
      smsMethod: input.smsMethod ?? existing?.smsMethod ?? 'POST',
      statusCallback: input.statusCallback ?? existing?.statusCallback ?? null,
      statusCallbackMethod: input.statusCallbackMethod ?? existing?.statusCallbackMethod ?? 'POST',
      dateCreated: existing?.dateCreated ?? now,
      dateUpdated: now,
    };
    this.numbers.set(record.phoneNumber, record);
    return record;
  }

  releaseNumber(sid: string, path: string) {
    const record = [...this.numbers.values()].find((n) => n.sid === sid);
    if (!record) throw notFound(path);
    this.numbers.delete(record.phoneNumber);
  }

  listNumbers(): readonly SimulatedNumber[] {
    return [...this.numbers.values()];
  }

  // ---- Lookup v2 ----

  lookup(raw: string, query: Form) {
    let phone = raw.trim();
    const digits = phone.replace(/[\s().-]/g, '');
    if (!phone.startsWith('+') && /^\d{10}$/.test(digits) && ['US', 'CA', undefined].includes(one(query.CountryCode))) phone = `+1${digits}`;
    else phone = digits;
    const destination = destinationFor(phone);
    const validationError = destination.lookup.valid
      ? null
      : !/^\+?\d+$/.test(phone)
        ? 'NOT_A_NUMBER'
        : phone.replace('+', '').length < 8
          ? 'TOO_SHORT'
          : phone.replace('+', '').length > 15
            ? 'TOO_LONG'
            : 'INVALID_BUT_POSSIBLE';
    const fields = (one(query.Fields) ?? '').split(',').map((f) => f.trim());
    return lookupJson({
      phoneNumber: phone,
      valid: destination.lookup.valid,
      validationError,
      lineType: destination.lookup.lineType,
      withLineType: fields.includes('line_type_intelligence'),
      url: `${this.o.lookupBaseUrl}/v2/PhoneNumbers/${phone}`,
    });
  }

  reset() {
    this.messages.clear();
    this.numbers.clear();
    this.moving.clear();
    this.optOuts.clear();
  }
}

export function notFound(path: string) {
  return new TwilioApiError(404, 20404, `The requested resource ${path} was not found`);
}
