import { formatPhoneForDisplay } from '@caretext/shared';
import { useEffect, useState } from 'preact/hooks';
import { useRoute } from 'preact-iso';
import { Modal } from '../../../components/Modal';
import { Pager } from '../../../components/Pager';
import { EmptyState, ErrorState, Loading } from '../../../components/states';
import { formatDateTime } from '../../../lib/dates';
import { errorMessage } from '../../../lib/errors';
import { notify } from '../../../lib/notices';
import { useQuery } from '../../../lib/query';
import { type RouterOutputs, trpc } from '../../../lib/trpc';
import { lowDelivery } from './blast-compose';
import { BLAST_STATUS_LABELS } from './BlastsListPage';
import { SampleImages } from './BlastImages';

type Blast = RouterOutputs['blasts']['get'];
type Stats = Blast['stats'];
type Filter = 'sent' | 'skipped' | 'opted_out' | 'blocked' | 'replied' | 'failed' | 'queued' | 'canceled';

/** How often a sending blast is read again. */
export const BLAST_POLL_MS = 3000;
/**
 * A completed blast is still read again while the carrier owes delivery reports (a message it
 * accepted can still turn out undelivered, and move from Sent to Failed), for at most this long
 * after it completed: some carriers never report, and the page must not poll forever.
 */
export const DELIVERY_REPORT_WINDOW_MS = 10 * 60_000;
const PAGE_SIZE = 50;

const CARDS: { label: string; filter: Filter | null; count: (s: Stats) => number; hint: string }[] = [
  { label: 'Total', filter: null, count: (s) => s.total, hint: 'Every patient of the blast.' },
  { label: 'Sent', filter: 'sent', count: (s) => s.sent, hint: 'Messages successfully sent.' },
  { label: 'Skipped', filter: 'skipped', count: (s) => s.skipped, hint: 'Never sent: no phone number, a landline, opted out, blocked, or not opted in to marketing.' },
  { label: 'Opted Out', filter: 'opted_out', count: (s) => s.optedOut, hint: 'Opted out of SMS (e.g. by texting STOP).' },
  { label: 'Blocked', filter: 'blocked', count: (s) => s.blocked, hint: 'The clinic disabled SMS to them.' },
  { label: 'Replied', filter: 'replied', count: (s) => s.replied, hint: 'Replied to the message.' },
  { label: 'Failed', filter: 'failed', count: (s) => s.failed, hint: 'Sent, but the carrier refused or could not deliver it.' },
];
/** Shown once the blast was canceled with messages still waiting. */
const CANCELED_CARD = { label: 'Canceled', filter: 'canceled' as Filter, count: (s: Stats) => s.canceled, hint: 'Not sent: the blast was canceled before their message went.' };

export const SKIP_REASON_LABELS: Record<string, string> = { no_phone: 'No contact info', opted_out: 'Opted out', blocked: 'Blocked', landline: 'Landline', not_opted_in: 'Not opted in' };

/** /comms/blasts/:blastId — the results of one blast, refreshed while it is sending. */
export function BlastDetailPage() {
  const { params } = useRoute();
  const blastId = params.blastId!;
  const [filter, setFilter] = useState<Filter | null>(null);
  const [page, setPage] = useState(1);
  const [adding, setAdding] = useState(false);
  const [retrying, setRetrying] = useState(false);
  const [canceling, setCanceling] = useState<'ask' | 'busy' | null>(null);
  const blast = useQuery(() => trpc.blasts.get.query({ blastId }), [blastId]);
  const recipients = useQuery(() => trpc.blasts.recipients.query({ blastId, status: filter ?? undefined, limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE }), [blastId, filter, page]);
  // An MMS blast's images, with links minted for this reader (the blast stores only their ids).
  const imageIds = blast.data?.imageIds ?? [];
  const images = useQuery(() => (imageIds.length ? trpc.blasts.images.query({ imageIds }) : Promise.resolve([])), [imageIds.join(',')]);
  const sending = blast.data?.status === 'sending';
  /** The stat cards' figures: the recipients' read, fresher than the blast's own. */
  const latestStats = recipients.data?.stats ?? blast.data?.stats;
  const awaitingReport = latestStats?.awaitingReport ?? 0;
  const completedAt = blast.data?.completedAt ? new Date(blast.data.completedAt).getTime() : null;
  const reportsDue = blast.data?.status === 'completed' && awaitingReport > 0 && completedAt !== null && Date.now() - completedAt < DELIVERY_REPORT_WINDOW_MS;
  const live = sending || reportsDue;

  useEffect(() => {
    if (!live) return;
    const timer = setInterval(() => void Promise.all([blast.reload(), recipients.reload()]), BLAST_POLL_MS);
    return () => clearInterval(timer);
  }, [live]);

  if (blast.loading) return <Loading />;
  if (!blast.data) return <ErrorState message={blast.error ?? ''} onRetry={blast.reload} />;
  const b = blast.data;
  const stats = latestStats ?? b.stats;
  const banner = lowDelivery(b.status, stats);
  const refresh = () => Promise.all([blast.reload(), recipients.reload()]).then(() => undefined);

  async function retry() {
    setRetrying(true);
    try {
      const r = await trpc.blasts.retryFailed.mutate({ blastId });
      notify(r.retried ? `Retrying ${r.retried} failed message${r.retried === 1 ? '' : 's'}.` : 'No failed message could be sent again.' + (r.notRetried ? ` ${r.notRetried} can no longer receive it (opted out, blocked or no phone).` : ''));
      await refresh();
    } catch (e) {
      notify(errorMessage(e), 'error');
    } finally {
      setRetrying(false);
    }
  }

  async function cancel() {
    setCanceling('busy');
    try {
      const r = await trpc.blasts.cancel.mutate({ blastId });
      notify(`Blast canceled: ${r.canceled.toLocaleString()} message${r.canceled === 1 ? '' : 's'} will not be sent.` + (r.inFlight ? ` ${r.inFlight} already on their way still go.` : ''));
      await refresh();
    } catch (e) {
      notify(errorMessage(e), 'error');
    } finally {
      setCanceling(null);
    }
  }

  const cards = stats.canceled > 0 ? [...CARDS, CANCELED_CARD] : CARDS;
  const cancelable = b.status === 'scheduled' || b.status === 'sending';
  /** Retry Failed and Add Recipients: the server refuses them before the start and after a cancel. */
  const started = b.status === 'sending' || b.status === 'completed';
  const total = filter ? cards.find((c) => c.filter === filter)!.count(stats) : stats.total;
  return (
    <div class="stack blast-detail" data-testid="blast-detail">
      <section class="card section stack">
        <div class="section-head">
          <div>
            <p class="muted small">
              <a href="/comms/blasts">Blasts</a> /
            </p>
            <h2 data-testid="blast-title">{b.name}</h2>
            <p class="muted">
              <span class={`badge badge-status blast-status-${b.status}`} data-testid="blast-detail-status">
                {BLAST_STATUS_LABELS[b.status] ?? b.status}
              </span>{' '}
              {b.marketing ? 'Marketing' : 'Transactional'} SMS ·{' '}
              {b.status === 'scheduled' && b.scheduledAt ? <span data-testid="blast-scheduled-at">starts {formatDateTime(b.scheduledAt)}</span> : <>sent {formatDateTime(b.sentAt ?? b.createdAt)}</>}
              {b.perDay && ` · ${b.perDay.toLocaleString()} per day`}
              {b.canceledAt && ` · canceled ${formatDateTime(b.canceledAt)}`}
              {b.completedAt && ` · completed ${formatDateTime(b.completedAt)}`}
              {reportsDue && (
                <span class="small" data-testid="blast-awaiting-report">
                  {' '}
                  · waiting for {awaitingReport.toLocaleString()} delivery report{awaitingReport === 1 ? '' : 's'}
                </span>
              )}
              {live && <span class="small"> · updating every few seconds</span>}
            </p>
          </div>
          <div class="button-row">
            {cancelable &&
              (canceling ? (
                <>
                  <button type="button" class="btn btn-secondary" onClick={() => setCanceling(null)} disabled={canceling === 'busy'} data-testid="blast-cancel-keep">
                    Keep sending
                  </button>
                  <button type="button" class="btn btn-danger" onClick={() => void cancel()} disabled={canceling === 'busy'} data-testid="blast-cancel-confirm">
                    {canceling === 'busy' ? 'Canceling…' : `Cancel ${b.status === 'scheduled' ? 'the blast' : 'what is not sent yet'}`}
                  </button>
                </>
              ) : (
                <button type="button" class="btn btn-secondary" onClick={() => setCanceling('ask')} data-testid="blast-cancel">
                  Cancel Blast
                </button>
              ))}
            <button type="button" class="btn btn-secondary" onClick={() => void retry()} disabled={retrying || stats.failed === 0 || !started} data-testid="blast-retry">
              {retrying ? 'Retrying…' : 'Retry Failed'}
            </button>
            <button type="button" class="btn btn-secondary" onClick={() => setAdding(true)} disabled={!started} title={started ? undefined : 'Once the blast has started (not for a scheduled or canceled blast).'} data-testid="blast-add">
              Add Recipients
            </button>
            <a href={`/comms/blasts/new?from=${b.id}`} class="btn btn-secondary" data-testid="blast-duplicate">
              Duplicate
            </a>
          </div>
        </div>
        <blockquote class="blast-body" data-testid="blast-body-text">{b.body}</blockquote>
        {imageIds.length > 0 && (
          <div class="blast-detail-images" data-testid="blast-detail-images">
            {images.data?.length ? (
              <SampleImages images={images.data} />
            ) : images.error ? (
              <p class="field-error small" role="alert">
                Couldn't load this blast's images: {images.error}{' '}
                <button type="button" class="btn btn-ghost btn-small" onClick={() => void images.reload()}>
                  Retry
                </button>
              </p>
            ) : images.data && !images.fetching ? (
              <p class="muted small">This blast's images are no longer available.</p>
            ) : (
              <p class="muted small">Loading images…</p>
            )}
          </div>
        )}
        {banner && (
          <div class="alert alert-warning" role="alert" data-testid="blast-low-delivery">
            {banner}
          </div>
        )}
        <div class="blast-cards" role="group" aria-label="Delivery summary">
          {cards.map((c) => (
            <button
              key={c.label}
              type="button"
              class={`blast-card${filter === c.filter ? ' active' : ''}`}
              aria-pressed={filter === c.filter}
              title={c.hint}
              onClick={() => {
                setFilter(c.filter);
                setPage(1);
              }}
              data-testid={`stat-${c.label.toLowerCase().replace(' ', '-')}`}
            >
              <span class="blast-card-label">{c.label}</span>
              <span class="blast-card-value">{c.count(stats).toLocaleString()}</span>
            </button>
          ))}
        </div>
        <p class="muted small" data-testid="blast-failed-vs-skipped">
          <strong>Failed</strong> means the message was sent but the carrier refused it or could not deliver it (e.g. a phone switched off or no longer in service): Retry Failed sends those again, never to anyone who already received it.{' '}
          <strong>Skipped</strong> means it was never sent because the patient could not receive it (opted out, blocked, no phone number, a landline, or not opted in to marketing).
        </p>
      </section>
      <section class="card section">
        <h3>{filter ? `${cards.find((c) => c.filter === filter)!.label} recipients` : 'Recipients'}</h3>
        {recipients.loading ? (
          <Loading />
        ) : !recipients.data ? (
          <ErrorState message={recipients.error ?? ''} onRetry={recipients.reload} />
        ) : recipients.data.recipients.length === 0 ? (
          <EmptyState title="No recipients here" testId="recipients-empty" />
        ) : (
          <>
            <div class="table-wrap">
              <table class="table" data-testid="recipients-table">
                <thead>
                  <tr>
                    <th>Patient</th>
                    <th>Status</th>
                    <th>When</th>
                    <th>Error</th>
                    <th>Reply</th>
                  </tr>
                </thead>
                <tbody>
                  {recipients.data.recipients.map((r) => (
                    <tr key={r.id} data-testid="recipient-row" data-status={r.status}>
                      <td class="cell-strong">
                        {[r.firstName, r.lastName].filter(Boolean).join(' ') || 'Unnamed patient'}
                        {r.phone && <div class="muted small">{formatPhoneForDisplay(r.phone)}</div>}
                      </td>
                      <td data-testid="recipient-status">{recipientStatus(r)}</td>
                      <td class="cell-muted">{when(r)}</td>
                      <td class={r.errorCode ? 'cell-danger cell-wrap' : 'cell-muted'}>{r.errorCode ? `${r.errorMessage ?? 'Error'} (${r.errorCode})` : '—'}</td>
                      <td class="cell-muted">{r.repliedAt ? `Replied ${formatDateTime(r.repliedAt)}` : '—'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <Pager page={page} pageSize={PAGE_SIZE} total={total} noun={['recipient', 'recipients']} onPage={setPage} disabled={recipients.fetching} testId="recipients-pager" />
          </>
        )}
      </section>
      {adding && <AddRecipientsDialog blastId={blastId} onClose={() => setAdding(false)} onAdded={refresh} />}
    </div>
  );
}

type Recipient = RouterOutputs['blasts']['recipients']['recipients'][number];

function recipientStatus(r: Recipient): string {
  if (r.status === 'skipped') return `Skipped: ${SKIP_REASON_LABELS[r.skipReason ?? ''] ?? r.skipReason}`;
  if (r.status === 'sent') return r.messageStatus === 'delivered' ? 'Delivered' : 'Sent';
  if (r.status === 'failed') return r.messageStatus === 'undelivered' ? 'Failed (undelivered)' : 'Failed';
  if (r.status === 'canceled') return 'Canceled';
  return 'Queued';
}

function when(r: Recipient): string {
  const t = r.deliveredAt ?? r.failedAt ?? r.sentAt;
  return t ? formatDateTime(t) : '—';
}

type Found = RouterOutputs['patients']['list']['patients'][number];
type AddResult = RouterOutputs['blasts']['addRecipients'];

/** Search patients, pick some, "Send to N patient(s)"; then what happened to each. */
export function AddRecipientsDialog({ blastId, onClose, onAdded }: { blastId: string; onClose: () => void; onAdded: () => Promise<void> }) {
  const [query, setQuery] = useState('');
  const [debounced, setDebounced] = useState('');
  const [picked, setPicked] = useState<Found[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<{ value: AddResult; names: Map<string, string> } | null>(null);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(query.trim()), 300);
    return () => clearTimeout(timer);
  }, [query]);
  const found = useQuery(() => (debounced ? trpc.patients.list.query({ query: debounced, pageSize: 10 }) : Promise.resolve(null)), [debounced]);

  async function send() {
    if (busy || picked.length === 0) return;
    setBusy(true);
    setError(null);
    try {
      const value = await trpc.blasts.addRecipients.mutate({ blastId, patientIds: picked.map((p) => p.id) });
      setResult({ value, names: new Map(picked.map((p) => [p.id, p.displayName])) });
      await onAdded();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  }

  const n = picked.length;
  return (
    <Modal
      title="Add Recipients"
      onClose={onClose}
      busy={busy}
      wide
      testId="add-recipients"
      actions={
        result ? (
          <button type="button" class="btn btn-primary" onClick={onClose} data-testid="add-recipients-done">
            Done
          </button>
        ) : (
          <>
            <button type="button" class="btn btn-secondary" onClick={onClose} disabled={busy}>
              Cancel
            </button>
            <button type="button" class="btn btn-primary" onClick={() => void send()} disabled={busy || n === 0} data-testid="add-recipients-send">
              {busy ? 'Sending…' : `Send to ${n} patient${n === 1 ? '' : 's'}`}
            </button>
          </>
        )
      }
    >
      {result ? (
        <div class="stack" data-testid="add-recipients-result">
          <p>
            <strong>{result.value.queued}</strong> message{result.value.queued === 1 ? '' : 's'} queued.
          </p>
          {Object.entries(result.value.skipped).map(([reason, count]) => (
            <p key={reason} class="muted">
              Skipped ({SKIP_REASON_LABELS[reason] ?? reason}): {count}
            </p>
          ))}
          {result.value.alreadyIncluded.length > 0 && (
            <p class="muted" data-testid="add-recipients-already">
              Already in this blast, not sent again: {result.value.alreadyIncluded.map((id) => result.names.get(id) ?? id).join(', ')}
            </p>
          )}
        </div>
      ) : (
        <div class="stack">
          <label class="field">
            <span class="field-label">Search patients</span>
            <input type="search" value={query} onInput={(e) => setQuery(e.currentTarget.value)} placeholder="Name, phone, MRN…" data-autofocus data-testid="add-recipients-search" />
          </label>
          {found.data && found.data.patients.length === 0 && <p class="muted">No patient matches “{debounced}”.</p>}
          {found.data && found.data.patients.length > 0 && (
            <ul class="add-recipients-results">
              {found.data.patients.map((p) => {
                const on = picked.some((x) => x.id === p.id);
                return (
                  <li key={p.id}>
                    <label class="check">
                      <input type="checkbox" checked={on} onChange={() => setPicked(on ? picked.filter((x) => x.id !== p.id) : [...picked, p])} data-testid="add-recipients-pick" data-name={p.displayName} />
                      <span>
                        {p.displayName} <span class="muted small">{p.phone ? formatPhoneForDisplay(p.phone) : 'no phone'}</span>
                      </span>
                    </label>
                  </li>
                );
              })}
            </ul>
          )}
          {n > 0 && <p class="muted small">Picked: {picked.map((p) => p.displayName).join(', ')}</p>}
          {error && (
            <p class="field-error" role="alert">
              {error}
            </p>
          )}
        </div>
      )}
    </Modal>
  );
}
