import { useState } from 'preact/hooks';
import { localIsoDate } from '../../../lib/dates';

/**
 * The CSV's address for a date range (either end may be open). Without a number: every number
 * the caller may export (admins: all; members: their teams').
 */
export function phoneLogUrl(numberId: string | null, from: string, to: string): string {
  const params = new URLSearchParams();
  if (from) params.set('from', from);
  if (to) params.set('to', to);
  const query = params.toString();
  return `/api/numbers/${numberId ? `${encodeURIComponent(numberId)}/` : ''}phone-log.csv${query ? `?${query}` : ''}`;
}

/** Directory → Phone numbers → Export phone logs: every message on the number(s) in a date range, as CSV. */
export function PhoneLogExport({ numberId, onClose }: { numberId: string | null; onClose: () => void }) {
  const today = new Date();
  const monthAgo = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 30);
  const [from, setFrom] = useState(localIsoDate(monthAgo));
  const [to, setTo] = useState(localIsoDate(today));
  const backwards = Boolean(from && to && from > to);

  return (
    <div class="phone-log-export" data-testid="phone-log-export">
      <div class="phone-log-fields">
        <div class="field">
          <label for={`log-from-${numberId ?? 'all'}`}>From</label>
          <input id={`log-from-${numberId ?? 'all'}`} type="date" value={from} max={to || undefined} onInput={(e) => setFrom(e.currentTarget.value)} data-testid="phone-log-from" />
        </div>
        <div class="field">
          <label for={`log-to-${numberId ?? 'all'}`}>To</label>
          <input id={`log-to-${numberId ?? 'all'}`} type="date" value={to} min={from || undefined} onInput={(e) => setTo(e.currentTarget.value)} data-testid="phone-log-to" />
        </div>
        <div class="button-row phone-log-actions">
          {backwards ? (
            <button type="button" class="btn btn-primary" disabled>
              Download CSV
            </button>
          ) : (
            <a class="btn btn-primary" href={phoneLogUrl(numberId, from, to)} download data-testid="phone-log-download">
              Download CSV
            </a>
          )}
          <button type="button" class="btn btn-ghost" onClick={onClose}>
            Close
          </button>
        </div>
      </div>
      {backwards ? (
        <p class="field-error">The start date is after the end date.</p>
      ) : (
        <p class="muted small">
          Sent, From, To, First, Last, Dob, Email, Status, ErrorCode, ErrorMessage; times in your organization's time zone. Dates are whole days; leave one empty for no limit.
        </p>
      )}
    </div>
  );
}
