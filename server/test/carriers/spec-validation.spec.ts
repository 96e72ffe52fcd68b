import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSpecs, SpecValidator } from '../../src/carriers/simulator/spec-validator.js';
import type { SimulatorExchange } from '../../src/carriers/simulator/twilio-simulator.js';
import { TwilioCarrier } from '../../src/carriers/twilio/twilio-carrier.js';
import { type CarrierFixture, PATIENT, rejectionOf, startCarrierFixture } from './fixture.js';

const serverDir = fileURLToPath(new URL('../../', import.meta.url));
const sharedSpecs = fileURLToPath(new URL('../../../../shared/twilio/', import.meta.url));

describe.runIf(process.env.TEST_DB !== 'postgres')("The simulator against Twilio's OpenAPI specs", () => {
  let t: CarrierFixture;
  beforeAll(async () => {
    t = await startCarrierFixture();
  });
  afterAll(() => t.close());

  it('answers every implemented operation, driven by the real SDK, with zero spec violations', async () => {
    const clinic = await t.clinicNumber('206');
    const sent = await t.carrier.sendMessage({ from: clinic.phoneNumber, to: PATIENT.mobile, body: 'Lab results are ready in the portal.', statusCallback: t.hooks.status });
    await t.carrier.sendMessage({ from: clinic.phoneNumber, to: PATIENT.landline, body: 'Hi', mediaUrls: ['https://cdn.example/a.png', 'https://cdn.example/b.png'], statusCallback: t.hooks.status });
    await t.simulator.settle();
    await t.carrier.fetchMessage(sent.sid);
    await t.carrier.listMessages({ from: clinic.phoneNumber, to: PATIENT.mobile, since: new Date(0) });
    for (const phone of [PATIENT.mobile, PATIENT.landline, PATIENT.fixedVoip, PATIENT.unknown, PATIENT.invalid]) await t.carrier.lookupLineType(phone);
    await t.carrier.searchAvailableNumbers({ country: 'CA', areaCode: '604', limit: 3 });
    await t.carrier.searchAvailableNumbers({ country: 'US', areaCode: '479', limit: 2 });
    await t.carrier.searchAvailableNumbers({ country: 'US', areaCode: '800', limit: 2 });
    const spare = await t.clinicNumber('512');
    await t.carrier.releaseNumber(spare.sid);
    // Error answers, too: 400s, 401, 404.
    await rejectionOf(t.carrier.sendMessage({ from: clinic.phoneNumber, to: PATIENT.invalid, body: 'x', statusCallback: t.hooks.status }));
    await rejectionOf(t.carrier.sendMessage({ from: clinic.phoneNumber, to: PATIENT.mobile, body: '', statusCallback: t.hooks.status }));
    await rejectionOf(t.carrier.releaseNumber(spare.sid));
    await rejectionOf(t.carrier.fetchMessage(`SM${'0'.repeat(32)}`));
    await rejectionOf(new TwilioCarrier({ accountSid: t.credentials.accountSid, authToken: 'wrong-token-123456', baseUrl: `${t.base}/twilio` }).lookupLineType(PATIENT.mobile));

    expect(t.validator.violations).toEqual([]);
    expect([...t.validator.seen].sort()).toEqual([...t.validator.operationIds].sort());
    expect(t.exchanges.map((e) => e.status)).toEqual(expect.arrayContaining([200, 201, 204, 400, 401, 404]));
  });

  it("accepts Twilio's own examples for every implemented response", () => {
    const validator = new SpecValidator();
    let checked = 0;
    for (const doc of loadSpecs() as any[]) {
      for (const item of Object.values<any>(doc.paths)) {
        for (const op of Object.values<any>(item)) {
          for (const [status, response] of Object.entries<any>(op?.responses ?? {})) {
            for (const [name, example] of Object.entries<any>(response.content?.['application/json']?.examples ?? {})) {
              expect(validator.checkResponse(op.operationId, Number(status), example.value), `${op.operationId} ${name}`).toEqual([]);
              checked++;
            }
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(20);
  });

  describe('catches a simulator that drifts', () => {
    const captured = (method: string, pathPart: string, status: number) => {
      const exchange = t.exchanges.find((e) => e.method === method && e.path.includes(pathPart) && e.status === status);
      if (!exchange) throw new Error(`no ${method} ${pathPart} ${status} captured`);
      return structuredClone(exchange);
    };
    const violationsOf = (exchange: SimulatorExchange) => new SpecValidator().check(exchange);

    it('a response missing a field every Twilio answer has', () => {
      const exchange = captured('POST', '/Messages.json', 201);
      expect(violationsOf(exchange)).toEqual([]);
      delete (exchange.body as Record<string, unknown>).status;
      expect(violationsOf(exchange)).toEqual([expect.objectContaining({ operationId: 'CreateMessage', part: 'response', message: expect.stringContaining("must have required property 'status'") })]);
    });

    it('a wrongly typed field, an unknown field, a wrong enum value', () => {
      const exchange = captured('POST', '/Messages.json', 201);
      Object.assign(exchange.body as Record<string, unknown>, { num_segments: 1, error_code: '30006', sms_status: 'sent', status: 'gone' });
      const [violation] = violationsOf(exchange);
      expect(violation!.message).toContain('/num_segments must be string');
      expect(violation!.message).toContain('/error_code must be integer');
      expect(violation!.message).toContain("must NOT have additional properties 'sms_status'");
      expect(violation!.message).toContain('/status must be equal to one of the allowed values');

      const lookup = captured('GET', '/v2/PhoneNumbers/', 200);
      (lookup.body as Record<string, unknown>).valid = 'yes';
      expect(violationsOf(lookup)[0]!.message).toContain('/valid must be boolean');

      const search = captured('GET', '/AvailablePhoneNumbers/', 200);
      const offers = (search.body as { available_phone_numbers: Array<Record<string, unknown>> }).available_phone_numbers;
      delete offers[0]!.locality;
      expect(violationsOf(search)[0]!.message).toContain("/available_phone_numbers/0 must have required property 'locality'");
    });

    it('bad requests: unknown form parameter, missing To, mistyped query, bad SID, undocumented status or path', () => {
      const create = captured('POST', '/Messages.json', 201);
      expect(violationsOf({ ...create, form: { Too: PATIENT.mobile, From: '+12065550123', Body: 'hi' } }).map((v) => v.message).join()).toMatch(/required property 'To'.*additional properties 'Too'/);
      const search = captured('GET', '/AvailablePhoneNumbers/', 200);
      expect(violationsOf({ ...search, query: { AreaCode: 'abc' } })).toEqual([expect.objectContaining({ part: 'query', message: '/AreaCode must be integer' })]);
      const fetched = captured('GET', '/Messages/SM', 200);
      expect(violationsOf({ ...fetched, path: fetched.path.replace(/SM[0-9a-f]{32}/, 'SMnope') })[0]).toMatchObject({ part: 'path' });
      expect(violationsOf({ ...fetched, status: 202 })[0]!.message).toContain('HTTP 202 is not a documented answer');
      expect(violationsOf({ ...fetched, path: `${fetched.path}/Feedback.json` })[0]).toMatchObject({ part: 'operation', operationId: null });
      const released = captured('DELETE', '/IncomingPhoneNumbers/', 204);
      expect(violationsOf({ ...released, body: { ok: true } })[0]!.message).toContain('must have an empty body');
    });

    it('an error body not shaped like Twilio errors', () => {
      const refused = captured('POST', '/Messages.json', 400);
      expect(violationsOf(refused)).toEqual([]);
      delete (refused.body as Record<string, unknown>).more_info;
      expect(violationsOf(refused)[0]!.message).toContain("required property 'more_info'");
    });
  });

  it.runIf(existsSync(sharedSpecs))('the vendored cut is what extract.mjs makes from the reference specs', () => {
    expect(() => execFileSync(process.execPath, ['tools/twilio-spec/extract.mjs', sharedSpecs, '--check'], { cwd: serverDir, stdio: 'pipe' })).not.toThrow();
  });
});
