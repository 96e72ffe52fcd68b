/**
 * The simulator's records and the exact JSON Twilio returns for them (field names, string-typed
 * counts, RFC 2822 dates, null for what is not set). The spec-validation test checks these
 * shapes against Twilio's OpenAPI specs.
 */
import { randomBytes } from 'node:crypto';
import { type AreaCodeInfo, nationalFormat } from './area-codes.js';
import type { LookupLineType } from './destinations.js';

export const API_VERSION = '2010-04-01';

export type MessageStatus = 'queued' | 'sending' | 'sent' | 'delivered' | 'undelivered' | 'failed' | 'received';

export type SimulatedMessage = {
  sid: string;
  direction: 'outbound-api' | 'outbound-reply' | 'inbound';
  from: string;
  to: string;
  body: string;
  mediaUrls: string[];
  status: MessageStatus;
  errorCode: number | null;
  statusCallback: string | null;
  numSegments: number;
  price: string | null;
  dateCreated: Date;
  dateUpdated: Date;
  dateSent: Date | null;
};

export type SimulatedNumber = {
  sid: string;
  phoneNumber: string;
  friendlyName: string;
  smsUrl: string | null;
  smsMethod: 'GET' | 'POST';
  statusCallback: string | null;
  statusCallbackMethod: 'GET' | 'POST';
  dateCreated: Date;
  dateUpdated: Date;
};

/** Twilio SIDs: a two-letter resource prefix and 32 hex digits. */
export function newSid(prefix: 'SM' | 'MM' | 'PN'): string {
  return `${prefix}${randomBytes(16).toString('hex')}`;
}

/** "Thu, 30 Jul 2015 20:12:31 +0000", the date format of every 2010-04-01 resource. */
export function rfc2822(date: Date): string {
  return date.toUTCString().replace('GMT', '+0000');
}

/** A 160-character message costs this much per segment (US, outbound). */
const PRICE_PER_SEGMENT = 0.0079;

export function priceFor(segments: number): string {
  return (-PRICE_PER_SEGMENT * segments).toFixed(5);
}

export function messageJson(accountSid: string, m: SimulatedMessage) {
  const uri = `/${API_VERSION}/Accounts/${accountSid}/Messages/${m.sid}.json`;
  return {
    account_sid: accountSid,
    api_version: API_VERSION,
    body: m.body,
    date_created: rfc2822(m.dateCreated),
    date_sent: m.dateSent ? rfc2822(m.dateSent) : null,
    date_updated: rfc2822(m.dateUpdated),
    direction: m.direction,
    error_code: m.errorCode,
    error_message: null,
    from: m.from,
    messaging_service_sid: null,
    num_media: String(m.mediaUrls.length),
    num_segments: String(m.numSegments),
    price: m.price,
    price_unit: 'USD',
    sid: m.sid,
    status: m.status,
    subresource_uris: { media: uri.replace(/\.json$/, '/Media.json') },
    to: m.to,
    uri,
  };
}

export function incomingNumberJson(accountSid: string, n: SimulatedNumber) {
  return {
    account_sid: accountSid,
    address_requirements: 'none',
    address_sid: null,
    api_version: API_VERSION,
    beta: false,
    capabilities: { voice: true, sms: true, mms: true, fax: false },
    date_created: rfc2822(n.dateCreated),
    date_updated: rfc2822(n.dateUpdated),
    emergency_status: 'Inactive',
    emergency_address_sid: null,
    emergency_address_status: 'unregistered',
    friendly_name: n.friendlyName,
    identity_sid: null,
    origin: 'twilio',
    phone_number: n.phoneNumber,
    sid: n.sid,
    sms_application_sid: null,
    sms_fallback_method: 'POST',
    sms_fallback_url: null,
    sms_method: n.smsMethod,
    sms_url: n.smsUrl,
    status_callback: n.statusCallback,
    status_callback_method: n.statusCallbackMethod,
    trunk_sid: null,
    uri: `/${API_VERSION}/Accounts/${accountSid}/IncomingPhoneNumbers/${n.sid}.json`,
    voice_application_sid: null,
    voice_caller_id_lookup: false,
    voice_fallback_method: 'POST',
    voice_fallback_url: null,
    voice_method: 'POST',
    voice_url: null,
    bundle_sid: null,
    voice_receive_mode: 'voice',
    status: 'in-use',
    type: 'local',
  };
}

export function availableNumberJson(phoneNumber: string, info: AreaCodeInfo | null, country: string) {
  return {
    friendly_name: nationalFormat(phoneNumber),
    phone_number: phoneNumber,
    lata: info?.lata ?? null,
    locality: info?.locality ?? null,
    rate_center: info?.rateCenter ?? null,
    latitude: info?.latitude ?? null,
    longitude: info?.longitude ?? null,
    region: info?.region ?? null,
    postal_code: info?.postalCode ?? null,
    iso_country: country,
    address_requirements: 'none',
    beta: false,
    capabilities: { mms: true, sms: true, voice: true },
  };
}

const CARRIERS: Record<Exclude<LookupLineType, null>, { name: string; mcc: string | null; mnc: string | null }> = {
  mobile: { name: 'Simulated Wireless', mcc: '310', mnc: '456' },
  landline: { name: 'Simulated Telephone Company', mcc: null, mnc: null },
  fixedVoip: { name: 'Simulated VoIP - Fixed', mcc: null, mnc: null },
  nonFixedVoip: { name: 'Simulated VoIP - SMS/MMS', mcc: '313', mnc: '981' },
};

export function lookupJson(input: {
  phoneNumber: string;
  valid: boolean;
  validationError: string | null;
  lineType: LookupLineType;
  withLineType: boolean;
  url: string;
}) {
  const nanp = input.valid && input.phoneNumber.startsWith('+1');
  const carrier = input.lineType ? CARRIERS[input.lineType] : null;
  return {
    calling_country_code: nanp ? '1' : null,
    country_code: nanp ? 'US' : null,
    phone_number: input.phoneNumber,
    national_format: input.valid ? nationalFormat(input.phoneNumber) : null,
    valid: input.valid,
    validation_errors: input.validationError ? [input.validationError] : null,
    caller_name: null,
    sim_swap: null,
    call_forwarding: null,
    line_status: null,
    line_type_intelligence:
      input.withLineType && input.valid
        ? {
            error_code: null,
            mobile_country_code: carrier?.mcc ?? null,
            mobile_network_code: carrier?.mnc ?? null,
            carrier_name: carrier?.name ?? null,
            type: input.lineType,
          }
        : null,
    identity_match: null,
    reassigned_number: null,
    sms_pumping_risk: null,
    phone_number_quality_score: null,
    pre_fill: null,
    url: input.url,
  };
}

/** Twilio's REST error body (the SDK's RestException reads code, message and more_info). */
export function errorJson(status: number, code: number, message: string) {
  return { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status };
}
