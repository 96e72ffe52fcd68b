import { useEffect, useRef, useState } from 'preact/hooks';
import { AdminOnly } from '../../../components/AdminOnly';
import { EmptyState, ErrorState, Loading } from '../../../components/states';
import { formatDateTime } from '../../../lib/dates';
import { errorMessage } from '../../../lib/errors';
import { useQuery } from '../../../lib/query';
import { isAdmin } from '../../../lib/session';
import { type RouterOutputs, trpc } from '../../../lib/trpc';
import { type AuditFilters, hasFilters, NO_FILTERS, toAuditQuery } from './filters';

type AuditEvent = RouterOutputs['audit']['list']['events'][number];
const PAGE_SIZE = 50;

export function AuditTab() {
  if (!isAdmin.value) return <AdminOnly what="audit log" />;
  return <AuditLog />;
}

function AuditLog() {
  const [filters, setFilters] = useState<AuditFilters>(NO_FILTERS);
  const [events, setEvents] = useState<AuditEvent[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [status, setStatus] = useState<'loading' | 'ready' | 'error'>('loading');
  const [error, setError] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const [moreError, setMoreError] = useState<string | null>(null);
  const [reloadKey, setReloadKey] = useState(0);
  const request = useRef(0);

  const actions = useQuery(() => trpc.audit.actions.query(), []);
  const members = useQuery(() => trpc.members.list.query(), []);
  const parsed = toAuditQuery(filters);

  useEffect(() => {
    if (!parsed.query) return;
    const call = ++request.current;
    setStatus('loading');
    setMoreError(null);
    trpc.audit.list
      .query({ ...parsed.query, limit: PAGE_SIZE })
      .then((page) => {
        if (call !== request.current) return;
        setEvents(page.events);
        setCursor(page.nextCursor);
        setStatus('ready');
      })
      .catch((e: unknown) => {
        if (call !== request.current) return;
        setError(errorMessage(e));
        setStatus('error');
      });
  }, [JSON.stringify(parsed.query), reloadKey]);

  async function loadMore() {
    if (!cursor || !parsed.query || loadingMore) return;
    const call = request.current;
    setLoadingMore(true);
    setMoreError(null);
    try {
      const page = await trpc.audit.list.query({ ...parsed.query, cursor, limit: PAGE_SIZE });
      if (call !== request.current) return;
      setEvents((prev) => [...prev, ...page.events]);
      setCursor(page.nextCursor);
    } catch (e) {
      setMoreError(errorMessage(e));
    } finally {
      setLoadingMore(false);
    }
  }

  const set = (patch: Partial<AuditFilters>) => setFilters({ ...filters, ...patch });

  return (
    <section class="card section" data-testid="audit-tab">
      <div class="section-head">
        <div>
          <h2>Audit log</h2>
          <p class="muted">Every admin action in your organization: who did it, when, and from where.</p>
        </div>
        <button type="button" class="btn btn-secondary" onClick={() => setReloadKey((k) => k + 1)} disabled={status === 'loading'}>
          Refresh
        </button>
      </div>

      <div class="filter-bar" role="search" data-testid="audit-filters">
        <div class="filter">
          <label for="audit-action">Action</label>
          <select id="audit-action" value={filters.action} onChange={(e) => set({ action: e.currentTarget.value })} data-testid="audit-filter-action">
            <option value="">All actions</option>
            {actions.data?.map((a) => (
              <option key={a.id} value={a.id}>
                {a.label}
              </option>
            ))}
          </select>
        </div>
        <div class="filter">
          <label for="audit-actor">Actor</label>
          <select id="audit-actor" value={filters.actorId} onChange={(e) => set({ actorId: e.currentTarget.value })} data-testid="audit-filter-actor">
            <option value="">Anyone</option>
            {members.data?.map((m) => (
              <option key={m.user.id} value={m.user.id}>
                {m.user.name}
              </option>
            ))}
          </select>
        </div>
        <div class="filter">
          <label for="audit-from">From</label>
          <input id="audit-from" type="date" value={filters.from} max={filters.to || undefined} onInput={(e) => set({ from: e.currentTarget.value })} />
        </div>
        <div class="filter">
          <label for="audit-to">To</label>
          <input id="audit-to" type="date" value={filters.to} min={filters.from || undefined} onInput={(e) => set({ to: e.currentTarget.value })} />
        </div>
        {hasFilters(filters) && (
          <button type="button" class="btn btn-ghost filter-clear" onClick={() => setFilters(NO_FILTERS)}>
            Clear filters
          </button>
        )}
      </div>
      {parsed.error && <p class="field-error">{parsed.error}</p>}

      {status === 'loading' && events.length === 0 ? (
        <Loading />
      ) : status === 'error' ? (
        <ErrorState message={error ?? ''} onRetry={() => setReloadKey((k) => k + 1)} />
      ) : events.length === 0 ? (
        <EmptyState title={hasFilters(filters) ? 'No events match these filters' : 'No events yet'} testId="audit-empty">
          {hasFilters(filters) ? 'Try a wider date range or another action.' : 'Admin actions such as invites and role changes appear here.'}
        </EmptyState>
      ) : (
        <>
          <div class={`table-wrap${status === 'loading' ? ' is-stale' : ''}`}>
            <table class="table audit-table" data-testid="audit-table">
              <thead>
                <tr>
                  <th class="col-time">Time</th>
                  <th class="col-actor">Actor</th>
                  <th class="col-action">Action</th>
                  <th>Summary</th>
                  <th class="col-ip">IP</th>
                </tr>
              </thead>
              <tbody>
                {events.map((e) => (
                  <tr key={e.id} data-testid="audit-row" data-action={e.action}>
                    <td class="cell-muted nowrap">{formatDateTime(e.createdAt)}</td>
                    <td>
                      {e.actor ? (
                        <>
                          <div class="cell-strong">{e.actor.name}</div>
                          <div class="cell-muted small actor-email" title={e.actor.email}>
                            {e.actor.email}
                          </div>
                        </>
                      ) : (
                        <span class="cell-muted">System</span>
                      )}
                    </td>
                    <td>
                      <span class="badge badge-action">{e.actionLabel}</span>
                    </td>
                    <td class="cell-wrap">{e.summary}</td>
                    <td class="cell-muted mono small">{e.ip ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div class="load-more">
            {moreError && <p class="field-error">{moreError}</p>}
            {cursor ? (
              <button type="button" class="btn btn-secondary" onClick={loadMore} disabled={loadingMore} data-testid="audit-load-more">
                {loadingMore ? 'Loading…' : 'Load more'}
              </button>
            ) : (
              <p class="muted small">
                {events.length} event{events.length === 1 ? '' : 's'}, that's all.
              </p>
            )}
          </div>
        </>
      )}
    </section>
  );
}
