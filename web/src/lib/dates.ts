const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const calendar = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeZone: 'UTC' });

export function formatDateTime(value: Date | string): string {
  return dateTime.format(new Date(value));
}

export function formatDate(value: Date | string): string {
  return dateOnly.format(new Date(value));
}

/** "in 6 days", "2 hours ago": for invite expiry and mail lists. */
export function formatRelative(value: Date | string, now: Date = new Date()): string {
  const seconds = Math.round((new Date(value).getTime() - now.getTime()) / 1000);
  const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
  const abs = Math.abs(seconds);
  if (abs < 60) return rtf.format(seconds, 'second');
  if (abs < 3600) return rtf.format(Math.round(seconds / 60), 'minute');
  if (abs < 86_400) return rtf.format(Math.round(seconds / 3600), 'hour');
  return rtf.format(Math.round(seconds / 86_400), 'day');
}

/** A calendar date stored as YYYY-MM-DD (a birthday): the same day in every time zone. */
export function formatCalendarDate(value: string): string {
  const [y, m, d] = value.split('-').map(Number);
  if (!y || !m || !d) return value;
  return calendar.format(new Date(Date.UTC(y, m - 1, d)));
}

/** Whole years from a YYYY-MM-DD birthday to `today` (local), or null for a malformed date. */
export function ageInYears(dob: string, today: Date = new Date()): number | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(dob);
  if (!match) return null;
  const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const hadBirthday = today.getMonth() + 1 > m || (today.getMonth() + 1 === m && today.getDate() >= d);
  return today.getFullYear() - y - (hadBirthday ? 0 : 1);
}

const clock = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });
const weekday = new Intl.DateTimeFormat(undefined, { weekday: 'short' });
const monthDay = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });
const sendTime = new Intl.DateTimeFormat(undefined, { weekday: 'short', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short' });

/** When a conversation last moved, as an inbox shows it: "9:14 AM" today, "Tue" this week, "Apr 22" before. */
export function formatListTime(value: Date | string, now: Date = new Date()): string {
  const at = new Date(value);
  const startOfToday = new Date(now.getFullYear(), now.getMonth(), now.getDate());
  if (at >= startOfToday) return clock.format(at);
  if (startOfToday.getTime() - at.getTime() < 6 * 86_400_000) return weekday.format(at);
  if (at.getFullYear() === now.getFullYear()) return monthDay.format(at);
  return dateOnly.format(at);
}

/** A message's time in its bubble: the clock time, with the day when it is not today. */
export function formatMessageTime(value: Date | string, now: Date = new Date()): string {
  const at = new Date(value);
  const sameDay = at.toDateString() === now.toDateString();
  return sameDay ? clock.format(at) : `${formatListTime(at, now)}, ${clock.format(at)}`;
}

/** A send time the person can act on, in their own time zone: "Wed, Apr 22, 8:00 AM PDT". */
export function formatSendTime(value: Date | string): string {
  return sendTime.format(new Date(value));
}

/** Today as YYYY-MM-DD in local time (a date input's value). */
export function localIsoDate(value: Date = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${value.getFullYear()}-${pad(value.getMonth() + 1)}-${pad(value.getDate())}`;
}
