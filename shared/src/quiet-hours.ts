/**
 * Quiet hours in the patient's time zone, with Intl only (no time-zone library in the shared
 * bundle). A window like 20:00-08:00 wraps midnight.
 */
export type QuietHours = { start: string; end: string; timeZone: string };

function minutes(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h! * 60 + m!;
}

/** Local wall-clock parts of `instant` in `timeZone`. */
export function localParts(instant: Date, timeZone: string) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
      .formatToParts(instant)
      .map((p) => [p.type, p.value]),
  );
  return { year: +parts.year!, month: +parts.month!, day: +parts.day!, hour: +parts.hour!, minute: +parts.minute!, second: +parts.second! };
}

/** The instant when the wall clock in `timeZone` reads the given local date and time. */
export function zonedTime(year: number, month: number, day: number, hour: number, minute: number, timeZone: string): Date {
  const asUtc = Date.UTC(year, month - 1, day, hour, minute);
  let guess = asUtc;
  // Two rounds settle the offset, including across a DST change.
  for (let i = 0; i < 2; i++) {
    const p = localParts(new Date(guess), timeZone);
    const shown = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute);
    guess += asUtc - shown;
  }
  return new Date(guess);
}

export function isQuietTime(instant: Date, q: QuietHours): boolean {
  const p = localParts(instant, q.timeZone);
  const now = p.hour * 60 + p.minute;
  const start = minutes(q.start);
  const end = minutes(q.end);
  if (start === end) return false;
  return start < end ? now >= start && now < end : now >= start || now < end;
}

/** When sending may start again: `instant` itself if it is not quiet time. */
export function nextSendTime(instant: Date, q: QuietHours): Date {
  if (!isQuietTime(instant, q)) return instant;
  const p = localParts(instant, q.timeZone);
  const end = minutes(q.end);
  const nowMin = p.hour * 60 + p.minute;
  // The window ends today if we are before its end time, otherwise tomorrow.
  const base = new Date(Date.UTC(p.year, p.month - 1, p.day + (nowMin < end ? 0 : 1)));
  return zonedTime(base.getUTCFullYear(), base.getUTCMonth() + 1, base.getUTCDate(), Math.floor(end / 60), end % 60, q.timeZone);
}
