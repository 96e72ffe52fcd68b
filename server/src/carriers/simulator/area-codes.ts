/**
 * The simulated number inventory: a handful of real area codes with their city, so the "pick a
 * number by area code" screen looks like it does against Twilio. Any other valid area code
 * still has numbers, with no known locality (Twilio, too, returns null locality for some).
 */
export type AreaCodeInfo = {
  areaCode: string;
  country: 'US' | 'CA';
  locality: string;
  region: string;
  postalCode: string;
  latitude: string;
  longitude: string;
  lata: string | null;
  rateCenter: string;
  /** The exchange (NXX) the simulated inventory hands out in this area code. */
  exchange: string;
};

export const AREA_CODES: readonly AreaCodeInfo[] = [
  { areaCode: '206', country: 'US', locality: 'Seattle', region: 'WA', postalCode: '98101', latitude: '47.610100', longitude: '-122.334400', lata: '674', rateCenter: 'SEATTLE', exchange: '324' },
  { areaCode: '212', country: 'US', locality: 'New York', region: 'NY', postalCode: '10001', latitude: '40.750600', longitude: '-73.997200', lata: '132', rateCenter: 'NWYRCYZN01', exchange: '381' },
  { areaCode: '303', country: 'US', locality: 'Denver', region: 'CO', postalCode: '80202', latitude: '39.752700', longitude: '-104.999200', lata: '656', rateCenter: 'DENVER', exchange: '492' },
  { areaCode: '305', country: 'US', locality: 'Miami', region: 'FL', postalCode: '33130', latitude: '25.767000', longitude: '-80.204000', lata: '460', rateCenter: 'MIAMI', exchange: '548' },
  { areaCode: '312', country: 'US', locality: 'Chicago', region: 'IL', postalCode: '60601', latitude: '41.885800', longitude: '-87.618100', lata: '358', rateCenter: 'CHICAGO', exchange: '626' },
  { areaCode: '404', country: 'US', locality: 'Atlanta', region: 'GA', postalCode: '30303', latitude: '33.752500', longitude: '-84.391500', lata: '438', rateCenter: 'ATLANTA', exchange: '523' },
  { areaCode: '415', country: 'US', locality: 'San Francisco', region: 'CA', postalCode: '94103', latitude: '37.774900', longitude: '-122.419400', lata: '722', rateCenter: 'SNFC CNTRL', exchange: '523' },
  { areaCode: '503', country: 'US', locality: 'Portland', region: 'OR', postalCode: '97204', latitude: '45.518300', longitude: '-122.677000', lata: '672', rateCenter: 'PORTLAND', exchange: '208' },
  { areaCode: '512', country: 'US', locality: 'Austin', region: 'TX', postalCode: '78701', latitude: '30.271100', longitude: '-97.743700', lata: '558', rateCenter: 'AUSTIN', exchange: '271' },
  { areaCode: '602', country: 'US', locality: 'Phoenix', region: 'AZ', postalCode: '85004', latitude: '33.451000', longitude: '-112.068600', lata: '666', rateCenter: 'PHOENIX', exchange: '354' },
  { areaCode: '615', country: 'US', locality: 'Nashville', region: 'TN', postalCode: '37201', latitude: '36.165900', longitude: '-86.784400', lata: '468', rateCenter: 'NASHVILLE', exchange: '242' },
  { areaCode: '617', country: 'US', locality: 'Boston', region: 'MA', postalCode: '02108', latitude: '42.358800', longitude: '-71.070700', lata: '128', rateCenter: 'BOSTON', exchange: '391' },
  { areaCode: '808', country: 'US', locality: 'Honolulu', region: 'HI', postalCode: '96813', latitude: '21.306900', longitude: '-157.858300', lata: '834', rateCenter: 'HONOLULU', exchange: '425' },
  { areaCode: '416', country: 'CA', locality: 'Toronto', region: 'ON', postalCode: 'M5H 2N2', latitude: '43.653200', longitude: '-79.383200', lata: null, rateCenter: 'TORONTO', exchange: '363' },
  { areaCode: '604', country: 'CA', locality: 'Vancouver', region: 'BC', postalCode: 'V6B 1A1', latitude: '49.282700', longitude: '-123.120700', lata: null, rateCenter: 'VANCOUVER', exchange: '682' },
];

/** Toll-free and premium codes are not local numbers: a search there finds nothing, as on Twilio. */
const NOT_LOCAL = new Set(['800', '822', '833', '844', '855', '866', '877', '888', '900']);

export function areaCodeInfo(areaCode: string): AreaCodeInfo | null {
  return AREA_CODES.find((row) => row.areaCode === areaCode) ?? null;
}

/** Where a +1 number is, by its area code (inbound webhooks carry FromCity/ToState and so on). */
export function locate(phone: string): AreaCodeInfo | null {
  return phone.startsWith('+1') ? areaCodeInfo(phone.slice(2, 5)) : null;
}

/**
 * The available local numbers for an area code, in a stable order: the same search always offers
 * the same numbers (minus those already bought). Line numbers stay in 2000-8999, clear of the
 * 0xxx suffixes that select special behaviour in destinations.ts.
 */
export function inventory(country: string, areaCode: string, count: number, taken: (phone: string) => boolean): Array<{ phoneNumber: string; info: AreaCodeInfo | null }> {
  if (!/^[2-9]\d{2}$/.test(areaCode) || areaCode.slice(1) === '11' || NOT_LOCAL.has(areaCode)) return [];
  const info = areaCodeInfo(areaCode);
  if ((info?.country ?? 'US') !== country) return [];
  const exchange = info?.exchange ?? '555';
  const seed = Number(areaCode) * 31;
  const found: Array<{ phoneNumber: string; info: AreaCodeInfo | null }> = [];
  // 1237 is prime and does not divide 7000, so the first 7000 steps visit distinct line numbers.
  for (let i = 0; i < 7000 && found.length < count; i++) {
    const line = 2000 + ((seed + i * 1237) % 7000);
    const phoneNumber = `+1${areaCode}${exchange}${line}`;
    if (!taken(phoneNumber)) found.push({ phoneNumber, info });
  }
  return found;
}

/** "(415) 523-2000" for +1 numbers; other numbers as given. */
export function nationalFormat(phone: string): string {
  const m = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(phone);
  return m ? `(${m[1]}) ${m[2]}-${m[3]}` : phone;
}
