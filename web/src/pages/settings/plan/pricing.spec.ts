import { describe, expect, it } from 'vitest';
import { quote } from './pricing';

describe('quote', () => {
  it('prices the SMS plan per seat and for the month', () => {
    expect(quote(3000, 7)).toEqual({ perSeat: '$30.00', monthly: '$210.00', seatsText: '7 seats' });
  });

  it('says "seat" for one and never bills a negative or partial seat', () => {
    expect(quote(3000, 1).seatsText).toBe('1 seat');
    expect(quote(3000, 2.7).monthly).toBe('$60.00');
    expect(quote(3000, -1).monthly).toBe('$0.00');
  });
});
