/** The IANA time zones the browser knows, with the browser's own zone guessed as the default. */
export function timeZoneOptions(): string[] {
  const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  return zones.length ? zones : ['America/New_York', 'America/Chicago', 'America/Denver', 'America/Los_Angeles', 'UTC'];
}

export function browserTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'America/New_York';
}

/** The list with `zone` in it (a stored or browser zone may be an alias the list leaves out). */
export function withZone(zones: string[], zone: string): string[] {
  return zones.includes(zone) ? zones : [zone, ...zones];
}
