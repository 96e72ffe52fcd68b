import { readFileSync } from 'node:fs';
import { optKeyword } from '@caretext/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CarrierError } from '../../src/carriers/carrier.js';
import { DESTINATIONS } from '../../src/carriers/simulator/destinations.js';
import { TwilioCarrier } from '../../src/carriers/twilio/twilio-carrier.js';
import { type CarrierFixture, PATIENT, rejectionOf, startCarrierFixture } from './fixture.js';

// No database involved: run once, in the PGlite pass.
describe.runIf(process.env.TEST_DB !== 'postgres')('TwilioCarrier against the Twilio simulator', () => {
  let t: CarrierFixture;
  let clinic: { sid: string; phoneNumber: string };
  beforeEach(async () => {
    t = await startCarrierFixture();
    clinic = await t.clinicNumber();
  });
  afterEach(() => t.close());

  const send = (to: string, body = 'Your appointment is tomorrow at 9:00.', extra: { mediaUrls?: string[] } = {}) =>
    t.carrier.sendMessage({ from: clinic.phoneNumber, to, body, statusCallback: t.hooks.status, ...extra });

  describe('sending', () => {
    it('accepts a message as queued, then calls back sent and delivered (never queued), signed', async () => {
      const sent = await send(PATIENT.mobile);
      expect(sent.sid).toMatch(/^SM[0-9a-f]{32}$/);
      expect(sent.status).toBe('queued');

      await t.simulator.settle();
      expect(t.statusesOf(sent.sid)).toEqual(['sent', 'delivered']);
      const delivered = t.received.status.at(-1)!;
      expect(delivered.params).toMatchObject({
        MessageSid: sent.sid,
        SmsSid: sent.sid,
        AccountSid: t.credentials.accountSid,
        From: clinic.phoneNumber,
        To: PATIENT.mobile,
        MessageStatus: 'delivered',
        SmsStatus: 'delivered',
        ApiVersion: '2010-04-01',
      });
      expect(delivered.params.ErrorCode).toBeUndefined();
      expect(await t.carrier.fetchMessage(sent.sid)).toEqual({ sid: sent.sid, status: 'delivered', errorCode: null });
    });

    it('lists the messages from one number to another since a time, newest first, across pages (what reconciliation looks a lost send up in)', async () => {
      const clinic = await t.clinicNumber('303');
      const other = await t.clinicNumber('312');
      const since = new Date(Date.now() - 1000);
      const sids: string[] = [];
      for (let i = 0; i < 230; i++) sids.push((await t.carrier.sendMessage({ from: clinic.phoneNumber, to: PATIENT.mobile, body: `Note ${i}`, statusCallback: t.hooks.status })).sid);
      await t.carrier.sendMessage({ from: other.phoneNumber, to: PATIENT.mobile, body: 'Other number', statusCallback: t.hooks.status });
      await t.carrier.sendMessage({ from: clinic.phoneNumber, to: PATIENT.fixedVoip, body: 'Other patient', statusCallback: t.hooks.status });
      await t.simulator.settle();
      const listed = await t.carrier.listMessages({ from: clinic.phoneNumber, to: PATIENT.mobile, since });
      expect(listed.map((m) => m.sid).sort()).toEqual([...sids].sort());
      expect(listed.every((m) => m.from === clinic.phoneNumber && m.to === PATIENT.mobile)).toBe(true);
      expect(listed.find((m) => m.sid === sids[0])).toMatchObject({ body: 'Note 0', status: 'delivered', errorCode: null, dateCreated: expect.any(Date) });
      expect(await t.carrier.listMessages({ from: clinic.phoneNumber, to: PATIENT.mobile, since: new Date(Date.now() + 3_600_000) })).toEqual([]);
    });

    it('signs callbacks so verifyWebhook accepts them, and rejects a tampered parameter or a missing signature', async () => {
      const { sid } = await send(PATIENT.mobile);
      await t.simulator.settle();
      for (const callback of t.received.status.filter((w) => w.params.MessageSid === sid)) {
        expect(t.carrier.verifyWebhook(t.hooks.status, callback.params, callback.signature)).toBe(true);
        expect(t.carrier.verifyWebhook(t.hooks.status, { ...callback.params, MessageStatus: 'failed' }, callback.signature)).toBe(false);
        expect(t.carrier.verifyWebhook(`${t.hooks.status}?x=1`, callback.params, callback.signature)).toBe(false);
        expect(t.carrier.verifyWebhook(t.hooks.status, callback.params, undefined)).toBe(false);
      }
      const otherAccount = new TwilioCarrier({ accountSid: t.credentials.accountSid, authToken: 'another-token-entirely', baseUrl: 'http://127.0.0.1:9' });
      const last = t.received.status.at(-1)!;
      expect(otherAccount.verifyWebhook(t.hooks.status, last.params, last.signature)).toBe(false);
    });

    it('a landline: sent, then undelivered with 30006', async () => {
      const { sid } = await send(PATIENT.landline);
      await t.simulator.settle();
      expect(t.statusesOf(sid)).toEqual(['sent', 'undelivered']);
      expect(t.received.status.at(-1)!.params.ErrorCode).toBe('30006');
      expect(await t.carrier.fetchMessage(sid)).toMatchObject({ status: 'undelivered', errorCode: 30006 });
    });

    it('unreachable -> undelivered 30003, filtered -> undelivered 30007, unknown destination -> failed 30005 with no sent', async () => {
      const unreachable = await send(PATIENT.unreachable);
      const filtered = await send(PATIENT.filtered);
      const unknown = await send(PATIENT.unknown);
      await t.simulator.settle();
      expect(t.statusesOf(unreachable.sid)).toEqual(['sent', 'undelivered']);
      expect(t.statusesOf(filtered.sid)).toEqual(['sent', 'undelivered']);
      expect(t.statusesOf(unknown.sid)).toEqual(['failed']);
      const codeOf = (sid: string) => t.received.status.filter((w) => w.params.MessageSid === sid).at(-1)!.params.ErrorCode;
      expect([codeOf(unreachable.sid), codeOf(filtered.sid), codeOf(unknown.sid)]).toEqual(['30003', '30007', '30005']);
    });

    it('refuses invalid numbers, empty bodies and numbers we do not own with Twilio codes as CarrierError', async () => {
      const cases: Array<[Promise<unknown>, number]> = [
        [send(PATIENT.invalid), 21211],
        [send('+1415555'), 21211],
        [send('+11115550100'), 21211],
        [send(PATIENT.mobile, ''), 21602],
        [t.carrier.sendMessage({ from: '+12125550123', to: PATIENT.mobile, body: 'hi', statusCallback: t.hooks.status }), 21606],
        [send('+14155550614'), 21614],
        [send('+14155550635'), 21635],
      ];
      for (const [attempt, code] of cases) {
        const error = await rejectionOf(attempt);
        expect(error).toBeInstanceOf(CarrierError);
        expect({ code: error.code, status: error.status }).toEqual({ code, status: 400 });
        expect(error.message).not.toMatch(/^\[HTTP/);
      }
      expect(t.simulator.messages()).toHaveLength(0);
    });

    it('sends MMS with media URLs (MM sid) and a media-only message needs no body', async () => {
      const { sid } = await send(PATIENT.mobile, '', { mediaUrls: ['https://cdn.example/a.jpg', 'https://cdn.example/b.png'] });
      expect(sid).toMatch(/^MM[0-9a-f]{32}$/);
      expect(t.simulator.messages().find((m) => m.sid === sid)!.mediaUrls).toEqual(['https://cdn.example/a.jpg', 'https://cdn.example/b.png']);
    });

    it('retries a callback that got a 5xx', async () => {
      t.failNext.push(500);
      const { sid } = await send(PATIENT.mobile);
      await t.simulator.settle();
      expect(t.statusesOf(sid)).toEqual(['sent', 'delivered']);
      const sentDelivery = t.simulator.deliveries().find((d) => d.params.MessageSid === sid && d.params.MessageStatus === 'sent')!;
      expect({ attempts: sentDelivery.attempts, status: sentDelivery.status }).toEqual({ attempts: 2, status: 200 });
    });

    it('with deliver: manual, a message stays queued until deliver(); sendStatusCallback replays a status', async () => {
      await t.close();
      t = await startCarrierFixture({ deliver: 'manual' });
      clinic = await t.clinicNumber();
      const { sid } = await send(PATIENT.mobile);
      await t.simulator.settle();
      expect(t.statusesOf(sid)).toEqual([]);
      expect(await t.carrier.fetchMessage(sid)).toMatchObject({ status: 'queued' });
      await t.simulator.deliver(sid);
      expect(t.statusesOf(sid)).toEqual(['sent', 'delivered']);
      await t.simulator.sendStatusCallback(sid, 'sent');
      expect(t.statusesOf(sid)).toEqual(['sent', 'delivered', 'sent']);
      const replay = t.received.status.at(-1)!;
      expect(t.carrier.verifyWebhook(t.hooks.status, replay.params, replay.signature)).toBe(true);
    });

    it('answers the API first and calls back later, through the injected scheduler (no wall clock)', async () => {
      await t.close();
      const tasks: Array<() => void> = [];
      t = await startCarrierFixture({ scheduler: (task) => void tasks.push(task) });
      clinic = await t.clinicNumber();
      const { sid } = await send(PATIENT.mobile);
      expect(t.statusesOf(sid)).toEqual([]);
      // Runs what is due, then whatever that scheduled, until the simulator is idle.
      const settled = t.simulator.settle();
      for (let turn = 0; turn < 100 && (tasks.length || t.simulator.deliveries().length < 2); turn++) {
        tasks.shift()?.();
        await new Promise((resolve) => setImmediate(resolve));
      }
      await settled;
      expect(t.statusesOf(sid)).toEqual(['sent', 'delivered']);
    });

    it('rejects a wrong auth token with 401 (Twilio code 20003)', async () => {
      const impostor = new TwilioCarrier({ accountSid: t.credentials.accountSid, authToken: 'not-the-token-0000', baseUrl: `${t.base}/twilio` });
      const error = await rejectionOf(impostor.sendMessage({ from: clinic.phoneNumber, to: PATIENT.mobile, body: 'hi', statusCallback: t.hooks.status }));
      expect(error).toBeInstanceOf(CarrierError);
      expect({ code: error.code, status: error.status }).toEqual({ code: 20003, status: 401 });
      expect(await rejectionOf(impostor.lookupLineType(PATIENT.mobile))).toMatchObject({ code: 20003, status: 401 });
    });

    it('turns an unreachable API into a CarrierError with no code', async () => {
      const offline = new TwilioCarrier({ ...t.credentials, baseUrl: 'http://127.0.0.1:9' });
      const error = await rejectionOf(offline.lookupLineType(PATIENT.mobile));
      expect(error).toBeInstanceOf(CarrierError);
      expect({ code: error.code, status: error.status }).toEqual({ code: null, status: null });
    });
  });

  describe('replies from the patient and opt-out', () => {
    it('posts a signed inbound webhook with Twilio parameters to the number SmsUrl', async () => {
      const result = await t.simulator.simulateInbound({ from: PATIENT.mobile, to: clinic.phoneNumber, body: 'Running 5 min late' });
      expect(result.sid).toMatch(/^SM[0-9a-f]{32}$/);
      expect(result.webhook?.status).toBe(200);
      const [inbound] = t.received.inbound;
      expect(inbound!.params).toMatchObject({
        MessageSid: result.sid,
        SmsSid: result.sid,
        SmsMessageSid: result.sid,
        AccountSid: t.credentials.accountSid,
        From: PATIENT.mobile,
        To: clinic.phoneNumber,
        Body: 'Running 5 min late',
        NumMedia: '0',
        NumSegments: '1',
        SmsStatus: 'received',
        ToCity: 'SAN FRANCISCO',
        ToState: 'CA',
        ApiVersion: '2010-04-01',
      });
      expect(inbound!.params.OptOutType).toBeUndefined();
      expect(t.carrier.verifyWebhook(t.hooks.inbound, inbound!.params, inbound!.signature)).toBe(true);
      expect(t.carrier.verifyWebhook(t.hooks.inbound, { ...inbound!.params, Body: 'STOP' }, inbound!.signature)).toBe(false);
    });

    it('carries inbound media as MediaUrlN / MediaContentTypeN', async () => {
      const result = await t.simulator.simulateInbound({ from: PATIENT.mobile, to: clinic.phoneNumber, body: '', mediaUrls: ['https://cdn.example/rash.jpg'] });
      expect(result.sid).toMatch(/^MM/);
      expect(t.received.inbound[0]!.params).toMatchObject({ NumMedia: '1', MediaUrl0: 'https://cdn.example/rash.jpg', MediaContentType0: 'image/jpeg' });
    });

    it('STOP opts the patient out of this number (21610), other numbers still send, START opts back in', async () => {
      const stop = await t.simulator.simulateInbound({ from: PATIENT.mobile, to: clinic.phoneNumber, body: ' stop ' });
      expect(stop.optOutType).toBe('STOP');
      expect(t.received.inbound.at(-1)!.params).toMatchObject({ Body: ' stop ', OptOutType: 'STOP' });
      expect(t.simulator.isOptedOut(clinic.phoneNumber, PATIENT.mobile)).toBe(true);

      const refused = await rejectionOf(send(PATIENT.mobile));
      expect(refused).toBeInstanceOf(CarrierError);
      expect({ code: refused.code, status: refused.status }).toEqual({ code: 21610, status: 400 });

      const otherNumber = await t.clinicNumber('212');
      await expect(t.carrier.sendMessage({ from: otherNumber.phoneNumber, to: PATIENT.mobile, body: 'hi', statusCallback: t.hooks.status })).resolves.toMatchObject({ status: 'queued' });

      await t.simulator.simulateInbound({ from: PATIENT.mobile, to: clinic.phoneNumber, body: 'STOP please' });
      expect(t.simulator.isOptedOut(clinic.phoneNumber, PATIENT.mobile)).toBe(true);

      const start = await t.simulator.simulateInbound({ from: PATIENT.mobile, to: clinic.phoneNumber, body: 'START' });
      expect(start.optOutType).toBe('START');
      await expect(send(PATIENT.mobile)).resolves.toMatchObject({ status: 'queued' });
    });

    it('reads STOP, START and HELP exactly as the server does (one keyword list, one matcher)', async () => {
      const replies: Array<[string, 'STOP' | 'START' | 'HELP' | null]> = [
        ['stop', 'STOP'],
        [' STOP! ', 'STOP'],
        ['"stop"', 'STOP'],
        ['STOP 🛑', 'STOP'],
        ['ＳＴＯＰ', 'STOP'],
        ['Stop please', null],
        ['unsubscribe', 'STOP'],
        ['start', 'START'],
        ['Unstop.', 'START'],
        ['help', 'HELP'],
        ['info', 'HELP'],
        ['I cannot END my prescription', null],
      ];
      for (const [body, expected] of replies) {
        const result = await t.simulator.simulateInbound({ from: PATIENT.mobile, to: clinic.phoneNumber, body });
        expect({ body, simulator: result.optOutType, server: optKeyword(body) }).toEqual({ body, simulator: expected, server: expected });
      }
    });

    it('serves POST /__simulator/inbound for the web app demo mode', async () => {
      const res = await fetch(`${t.base}/twilio/__simulator/inbound`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ from: PATIENT.mobile, to: clinic.phoneNumber, body: 'Hello from the demo' }),
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ sid: expect.stringMatching(/^SM/), webhookStatus: 200 });
      expect(t.received.inbound.at(-1)!.params.Body).toBe('Hello from the demo');

      const unknown = await fetch(`${t.base}/twilio/__simulator/inbound`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ from: PATIENT.mobile, to: '+15125559999', body: 'hi' }),
      });
      expect(unknown.status).toBe(404);
    });
  });

  describe('numbers and lookup', () => {
    it('searches by area code with city and region, buys, and releases', async () => {
      const offers = await t.carrier.searchAvailableNumbers({ country: 'US', areaCode: '312', limit: 5 });
      expect(offers).toHaveLength(5);
      for (const offer of offers) {
        expect(offer).toEqual({ phoneNumber: expect.stringMatching(/^\+1312\d{7}$/), locality: 'Chicago', region: 'IL' });
      }
      expect(await t.carrier.searchAvailableNumbers({ country: 'US', areaCode: '312', limit: 5 })).toEqual(offers);

      const bought = await t.carrier.buyNumber({ phoneNumber: offers[0]!.phoneNumber, smsUrl: t.hooks.inbound, statusCallback: t.hooks.status });
      expect(bought).toEqual({ sid: expect.stringMatching(/^PN[0-9a-f]{32}$/), phoneNumber: offers[0]!.phoneNumber });
      expect(t.simulator.numbers().find((n) => n.sid === bought.sid)).toMatchObject({ smsUrl: t.hooks.inbound, smsMethod: 'POST', statusCallback: t.hooks.status });
      const after = await t.carrier.searchAvailableNumbers({ country: 'US', areaCode: '312', limit: 5 });
      expect(after.map((o) => o.phoneNumber)).not.toContain(bought.phoneNumber);
      expect(await rejectionOf(t.carrier.buyNumber({ phoneNumber: bought.phoneNumber, smsUrl: t.hooks.inbound, statusCallback: t.hooks.status }))).toMatchObject({ code: 21422, status: 400 });

      await t.carrier.releaseNumber(bought.sid);
      expect(await rejectionOf(t.carrier.sendMessage({ from: bought.phoneNumber, to: PATIENT.mobile, body: 'hi', statusCallback: t.hooks.status }))).toMatchObject({ code: 21606 });
      expect(await rejectionOf(t.carrier.releaseNumber(bought.sid))).toMatchObject({ code: 20404, status: 404 });
    });

    it('knows a few cities, falls back to no locality, and has no local numbers in toll-free codes', async () => {
      const cities = await Promise.all(
        ['415', '212', '206', '512'].map(async (areaCode) => (await t.carrier.searchAvailableNumbers({ country: 'US', areaCode, limit: 1 }))[0]),
      );
      expect(cities.map((c) => `${c!.locality} ${c!.region}`)).toEqual(['San Francisco CA', 'New York NY', 'Seattle WA', 'Austin TX']);
      expect(await t.carrier.searchAvailableNumbers({ country: 'US', areaCode: '479', limit: 2 })).toEqual([
        { phoneNumber: expect.stringMatching(/^\+1479/), locality: null, region: null },
        { phoneNumber: expect.stringMatching(/^\+1479/), locality: null, region: null },
      ]);
      expect(await t.carrier.searchAvailableNumbers({ country: 'US', areaCode: '800' })).toEqual([]);
      expect(await rejectionOf(t.carrier.searchAvailableNumbers({ country: 'US', areaCode: '41' }))).toBeInstanceOf(CarrierError);
    });

    it('looks up line types: mobile, landline, voip, unknown', async () => {
      const types = await Promise.all(
        [PATIENT.mobile, PATIENT.landline, PATIENT.fixedVoip, PATIENT.nonFixedVoip, PATIENT.unknown, PATIENT.invalid, '+1415'].map((n) => t.carrier.lookupLineType(n)),
      );
      expect(types).toEqual(['mobile', 'landline', 'voip', 'voip', 'unknown', 'unknown', 'unknown']);
    });
  });

  it('documents every destination row in README.md', () => {
    const readme = readFileSync(new URL('../../src/carriers/simulator/README.md', import.meta.url), 'utf8');
    for (const row of DESTINATIONS) {
      const line = readme.split('\n').find((l) => l.startsWith(`| ${row.suffix} |`));
      expect(line, `README row for ${row.suffix}`).toBeDefined();
      const outcome = row.outcome;
      if (outcome.kind !== 'delivered') expect(line).toContain(String(outcome.errorCode));
      expect(line).toContain(row.lookup.valid ? String(row.lookup.lineType ?? 'null') : 'valid: false');
    }
  });
});
