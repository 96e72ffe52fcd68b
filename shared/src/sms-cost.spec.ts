import { describe, expect, it } from 'vitest';
import { estimateSmsCost, MMS_MESSAGE_PRICE_USD, SMS_SEGMENT_PRICE_USD } from './sms-cost.js';

describe('estimateSmsCost', () => {
  it('uses the documented prices', () => {
    expect(SMS_SEGMENT_PRICE_USD).toBe(0.0079);
    expect(MMS_MESSAGE_PRICE_USD).toBe(0.02);
  });

  it('bills SMS per segment per recipient', () => {
    expect(estimateSmsCost({ segments: 1, recipients: 1, channel: 'sms' })).toEqual({
      channel: 'sms',
      billableUnits: 1,
      unitPriceUsd: 0.0079,
      cents: 0.79,
      display: '$0.01',
    });
    expect(estimateSmsCost({ segments: 2, recipients: 1000, channel: 'sms' })).toMatchObject({
      billableUnits: 2000,
      cents: 1580,
      display: '$15.80',
    });
  });

  it('is exact where floating point is not', () => {
    expect(0.0079 * 11 * 100).not.toBe(8.69);
    expect(estimateSmsCost({ segments: 11, recipients: 1, channel: 'sms' }).cents).toBe(8.69);
    expect(estimateSmsCost({ segments: 2, recipients: 617, channel: 'sms' }).cents).toBe(974.86);
    expect(estimateSmsCost({ segments: 1, recipients: 10, channel: 'sms' })).toMatchObject({ cents: 7.9, display: '$0.08' });
  });

  it('bills MMS per message regardless of segments', () => {
    expect(estimateSmsCost({ segments: 4, recipients: 250, channel: 'mms' })).toMatchObject({
      billableUnits: 250,
      unitPriceUsd: 0.02,
      cents: 500,
      display: '$5.00',
    });
    expect(estimateSmsCost({ segments: 0, recipients: 1, channel: 'mms' }).cents).toBe(2);
  });

  it('costs nothing for empty messages or no recipients', () => {
    expect(estimateSmsCost({ segments: 0, recipients: 500, channel: 'sms' })).toMatchObject({ cents: 0, display: '$0.00' });
    expect(estimateSmsCost({ segments: 3, recipients: 0, channel: 'sms' }).cents).toBe(0);
  });

  it('rejects negative, fractional and non-numeric counts', () => {
    expect(() => estimateSmsCost({ segments: -1, recipients: 1, channel: 'sms' })).toThrow(RangeError);
    expect(() => estimateSmsCost({ segments: 1, recipients: 1.5, channel: 'sms' })).toThrow(RangeError);
    expect(() => estimateSmsCost({ segments: Number.NaN, recipients: 1, channel: 'sms' })).toThrow(RangeError);
  });
});
