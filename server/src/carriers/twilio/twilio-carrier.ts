import twilio from 'twilio';
import { type AvailableNumber, type Carrier, CARRIER_TIMEOUT_MS, CarrierError, type CarrierMessage, LIST_MAX_PAGES, type LineType, type OutboundMessage, type OwnedNumber, type SentMessage } from '../carrier.js';
import type { MessagePage } from 'twilio/lib/rest/api/v2010/account/message.js';
import { RedirectingRequestClient } from './redirecting-request-client.js';

export type TwilioCarrierOptions = {
  accountSid: string;
  authToken: string;
  /**
   * Where the REST API lives when it is not Twilio: the simulator's origin plus mount path. A
   * function is read on every request, for servers that learn their port after construction.
   */
  baseUrl?: string | (() => string);
};

const LINE_TYPES: Record<string, LineType> = {
  mobile: 'mobile',
  landline: 'landline',
  fixedVoip: 'voip',
  nonFixedVoip: 'voip',
};

/** The Twilio carrier, on the official SDK; with `baseUrl`, the same code drives the simulator. */
export class TwilioCarrier implements Carrier {
  readonly name = 'twilio';
  private readonly client: twilio.Twilio;
  private readonly authToken: string;

  constructor(options: TwilioCarrierOptions) {
    const { baseUrl } = options;
    const httpClient = baseUrl === undefined ? undefined : new RedirectingRequestClient(typeof baseUrl === 'function' ? baseUrl : () => baseUrl);
    this.client = twilio(options.accountSid, options.authToken, httpClient ? { httpClient } : { timeout: CARRIER_TIMEOUT_MS });
    this.authToken = options.authToken;
    // The SDK loads its REST modules on first use, blocking the process for a moment: done here
    // at boot rather than inside the first send, where it would make paced sends late.
    void this.client.messages;
  }

  sendMessage(message: OutboundMessage): Promise<SentMessage> {
    return this.call(async () => {
      const created = await this.client.messages.create({
        to: message.to,
        from: message.from,
        statusCallback: message.statusCallback,
        ...(message.body !== '' ? { body: message.body } : {}),
        ...(message.mediaUrls?.length ? { mediaUrl: message.mediaUrls } : {}),
      });
      return { sid: created.sid, status: created.status };
    });
  }

  /** The message as Twilio has it now: for reconciling when a callback went missing. */
  fetchMessage(sid: string): Promise<{ sid: string; status: string; errorCode: number | null }> {
    return this.call(async () => {
      const m = await this.client.messages(sid).fetch();
      return { sid: m.sid, status: m.status, errorCode: m.errorCode ?? null };
    });
  }

  listMessages(query: { from: string; to: string; since: Date }): Promise<CarrierMessage[]> {
    return this.call(async () => {
      const found = new Map<string, CarrierMessage>();
      let page: MessagePage | undefined = await this.client.messages.page({ from: query.from, to: query.to, pageSize: 100 });
      for (let pages = 1; page; pages++) {
        for (const m of page.instances) {
          if (m.dateCreated >= query.since) found.set(m.sid, { sid: m.sid, from: m.from, to: m.to, body: m.body ?? '', status: m.status, errorCode: m.errorCode ?? null, dateCreated: m.dateCreated });
        }
        const oldest = page.instances.at(-1)?.dateCreated;
        if (!oldest || oldest < query.since) break;
        if (pages >= LIST_MAX_PAGES) throw new CarrierError(`More than ${LIST_MAX_PAGES} pages of messages from ${query.from} to ${query.to} since ${query.since.toISOString()}`, null, null);
        page = (await page.nextPage()) as MessagePage | undefined;
      }
      return [...found.values()].sort((a, b) => b.dateCreated.getTime() - a.dateCreated.getTime());
    });
  }

  searchAvailableNumbers(query: { country: string; areaCode: string; limit?: number }): Promise<AvailableNumber[]> {
    if (!/^\d{3}$/.test(query.areaCode)) return Promise.reject(new CarrierError('An area code is three digits.', null, 400));
    return this.call(async () => {
      const found = await this.client.availablePhoneNumbers(query.country).local.list({ areaCode: Number(query.areaCode), limit: query.limit ?? 20 });
      return found.map((n) => ({ phoneNumber: n.phoneNumber, locality: n.locality ?? null, region: n.region ?? null }));
    });
  }

  buyNumber(input: { phoneNumber: string; smsUrl: string; statusCallback: string }): Promise<OwnedNumber> {
    return this.call(async () => {
      const bought = await this.client.incomingPhoneNumbers.create({
        phoneNumber: input.phoneNumber,
        smsUrl: input.smsUrl,
        smsMethod: 'POST',
        statusCallback: input.statusCallback,
        statusCallbackMethod: 'POST',
      });
      return { sid: bought.sid, phoneNumber: bought.phoneNumber };
    });
  }

  releaseNumber(sid: string): Promise<void> {
    return this.call(async () => {
      await this.client.incomingPhoneNumbers(sid).remove();
    });
  }

  lookupLineType(phone: string): Promise<LineType> {
    return this.call(async () => {
      const result = await this.client.lookups.v2.phoneNumbers(phone).fetch({ fields: 'line_type_intelligence' });
      if (!result.valid) return 'unknown';
      return LINE_TYPES[result.lineTypeIntelligence?.type ?? ''] ?? 'unknown';
    });
  }

  verifyWebhook(url: string, params: Record<string, string>, signature: string | undefined): boolean {
    if (!signature) return false;
    return twilio.validateRequest(this.authToken, signature, url, params);
  }

  /** SDK failures become CarrierError with Twilio's code (21610, 21211, ...) and HTTP status. */
  private async call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw toCarrierError(error);
    }
  }
}

function toCarrierError(error: unknown): CarrierError {
  if (error instanceof CarrierError) return error;
  let result: CarrierError;
  if (error instanceof twilio.RestException) {
    result = new CarrierError(error.message || `Twilio answered HTTP ${error.status}`, error.code ?? null, error.status);
  } else {
    result = new CarrierError(`Twilio request failed: ${(error as Error)?.message ?? String(error)}`, null, null);
  }
  result.cause = error;
  return result;
}
