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

export function newIdempotencyKey(): string {
  return crypto.randomUUID();
}

/** What a message's delivery status means to staff (as in the web inbox). */
export function statusOf(m: { direction: string; status: string; errorCode: string | null; errorMessage: string | null; sendAfter: string | null }): { label: string; tone: 'ok' | 'error' | 'pending' } | null {
  if (m.direction !== 'outbound') return null;
  switch (m.status) {
    case 'queued':
      return m.sendAfter && new Date(m.sendAfter) > new Date() ? { label: `Scheduled for ${formatTime(m.sendAfter)}`, tone: 'pending' } : { label: 'Queued', tone: 'pending' };
    case 'sending':
      return { label: 'Sending', tone: 'pending' };
    case 'sent':
      return { label: 'Sent', tone: 'ok' };
    case 'delivered':
      return { label: 'Delivered', tone: 'ok' };
    case 'undelivered':
    case 'failed': {
      const why = [m.errorMessage, m.errorCode && `(error ${m.errorCode})`].filter(Boolean).join(' ');
      return { label: `${m.status === 'failed' ? 'Failed' : 'Undelivered'}${why ? `: ${why}` : ''}`, tone: 'error' };
    }
    default:
      return { label: m.status.charAt(0).toUpperCase() + m.status.slice(1), tone: 'pending' };
  }
}
