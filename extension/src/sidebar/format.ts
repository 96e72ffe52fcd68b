import { describeStatus, type StatusMessage, type StatusTone } from '@caretext/shared/message-status';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** 1972-02-09 -> "Feb 9, 1972" (split by hand: no time zone can move a birthday). */
export function formatDob(iso: string | null): string | null {
  const m = iso && /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  return m ? `${MONTHS[Number(m[2]) - 1]} ${Number(m[3])}, ${m[1]}` : iso;
}

export function formatTime(iso: string, now = new Date()): string {
  const d = new Date(iso);
  const sameDay = d.toDateString() === now.toDateString();
  return sameDay ? d.toLocaleTimeString([], { hour: 'numeric', minute: '2-digit' }) : d.toLocaleString([], { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' });
}

/**
 * What a message's delivery status means to staff (the shared labels, as in the web inbox). The
 * sidebar has no room for a second line, so the reason follows the label: "Failed: …", "Canceled: …".
 */
export function statusOf(m: StatusMessage, now = new Date()): { label: string; tone: StatusTone } | null {
  const view = describeStatus(m, (when) => formatTime(new Date(when).toISOString(), now), now);
  if (!view) return null;
  const why = view.tone === 'pending' ? null : view.detail;
  return { label: why ? `${view.label}: ${why}` : view.label, tone: view.tone };
}
