import twilio from 'twilio';
import { CARRIER_TIMEOUT_MS } from '../carrier.js';
import type { RequestOptions } from 'twilio/lib/base/RequestClient.js';

/**
 * Sends every SDK request to `baseUrl` instead of Twilio's hosts (api.twilio.com,
 * lookups.twilio.com, ...), keeping the path and query: the same SDK code then talks to the
 * simulator. `region`/`edge` cannot do this; they only change the host name.
 */
export class RedirectingRequestClient extends twilio.RequestClient {
  constructor(private readonly baseUrl: () => string) {
    super({ timeout: CARRIER_TIMEOUT_MS });
  }

  override request<TData>(opts: RequestOptions<TData>) {
    const base = this.baseUrl().replace(/\/$/, '');
    // String surgery, not `new URL()`: the SDK's paths carry unencoded `+` (Lookup) we must keep as is.
    const pathAndQuery = opts.uri.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '');
    return super.request({ ...opts, uri: `${base}${pathAndQuery}` });
  }
}
