import { localParts } from '@caretext/shared';
import { useMemo, useState } from 'preact/hooks';
import { EmptyState, ErrorState, Loading } from '../../components/states';
import { useQuery } from '../../lib/query';
import { currentOrg } from '../../lib/session';
import { trpc } from '../../lib/trpc';
import { analyticsCsv, csvFileName } from './analytics-csv';
import { BarChart, type ChartSeries } from './Chart';
import type { BlastAnalytics } from './types';
import './analytics.css';

export const PRESETS = [7, 30, 90] as const;
type Range = { preset: (typeof PRESETS)[number] } | { preset: 'custom'; firstDay: string; lastDay: string };

/** The org's calendar day `daysAgo` days before today (YYYY-MM-DD). */
export function orgDay(timeZone: string, daysAgo: number, now: Date = new Date()): string {
  const p = localParts(now, timeZone);
  const d = new Date(Date.UTC(p.year, p.month - 1, p.day - daysAgo));
  return d.toISOString().slice(0, 10);
}

function days(range: Range, timeZone: string): { firstDay: string; lastDay: string } {
  if (range.preset === 'custom') return { firstDay: range.firstDay, lastDay: range.lastDay };
  return { firstDay: orgDay(timeZone, range.preset - 1), lastDay: orgDay(timeZone, 0) };
}

const count = (n: number) => n.toLocaleString('en-US');
const money = (cents: number) => `$${(cents / 100).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
const percent = (rate: number | null) => (rate === null ? '—' : `${(rate * 100).toFixed(1)}%`);

/**
 * The volume chart's series, in stacking order. SMS is the only channel today; email blasts add
 * their series here (label and color) and in the server's per-day row.
 */
const VOLUME_SERIES: { key: 'blast' | 'oneToOne'; label: string; color: string }[] = [
  { key: 'blast', label: 'SMS · blasts', color: '#6d4bd1' },
  { key: 'oneToOne', label: 'SMS · one-to-one', color: '#c9b8f5' },
];

/** Analytics → Blasts: texts, spend and reply rate over a period, by team and number; CSV export. */
export function BlastAnalyticsPage() {
  const timeZone = currentOrg.value?.timeZone ?? 'UTC';
  const [range, setRange] = useState<Range>({ preset: 30 });
  const [teamId, setTeamId] = useState('');
  const [phoneNumberId, setPhoneNumberId] = useState('');
  const period = days(range, timeZone);
  const filters = useQuery(() => trpc.analytics.filters.query(), []);
  const result = useQuery(
    () => {
      // A custom period being typed: say what is missing instead of asking the server.
      if (!period.firstDay || !period.lastDay || period.firstDay > period.lastDay) return Promise.reject(new Error('Pick a start date on or before the end date.'));
      return trpc.analytics.blasts.query({ ...period, teamId: teamId || undefined, phoneNumberId: phoneNumberId || undefined });
    },
    [period.firstDay, period.lastDay, teamId, phoneNumberId],
  );
  const numbers = (filters.data?.numbers ?? []).filter((n) => !teamId || n.teamId === teamId);
  const labels = {
    team: filters.data?.teams.find((t) => t.id === teamId)?.name ?? (filters.data?.orgWide ? 'All teams' : 'My teams'),
    number: filters.data?.numbers.find((n) => n.id === phoneNumberId)?.e164 ?? 'All numbers',
  };

  return (
    <section class="card section analytics" data-testid="blast-analytics">
      <div class="section-head">
        <div>
          <h2>Blast analytics</h2>
          <p class="muted">
            Texts your clinic sent, per day in {timeZone}: blasts and one-to-one messages, what they cost at list price, and how many blast messages got a reply.{' '}
            {filters.data && (filters.data.orgWide ? 'As an admin you see every team.' : 'You see the teams you are on.')}
          </p>
        </div>
        <button type="button" class="btn btn-secondary" disabled={!result.data || result.fetching} onClick={() => result.data && download(result.data, labels)} data-testid="analytics-export">
          Export CSV
        </button>
      </div>
      <div class="analytics-filters" role="group" aria-label="Filters">
        <div class="segmented" role="radiogroup" aria-label="Period">
          {PRESETS.map((p) => (
            <button key={p} type="button" role="radio" aria-checked={range.preset === p} class={range.preset === p ? 'active' : ''} onClick={() => setRange({ preset: p })} data-testid={`range-${p}`}>
              Last {p} days
            </button>
          ))}
          <button type="button" role="radio" aria-checked={range.preset === 'custom'} class={range.preset === 'custom' ? 'active' : ''} onClick={() => setRange({ preset: 'custom', ...period })} data-testid="range-custom">
            Custom
          </button>
        </div>
        {range.preset === 'custom' && (
          <span class="analytics-dates">
            <label>
              From{' '}
              <input type="date" value={range.firstDay} max={range.lastDay} onChange={(e) => setRange({ ...range, firstDay: (e.currentTarget as HTMLInputElement).value })} data-testid="range-from" />
            </label>
            <label>
              To{' '}
              <input type="date" value={range.lastDay} min={range.firstDay} onChange={(e) => setRange({ ...range, lastDay: (e.currentTarget as HTMLInputElement).value })} data-testid="range-to" />
            </label>
          </span>
        )}
        <label>
          Team{' '}
          <select
            value={teamId}
            onChange={(e) => {
              setTeamId((e.currentTarget as HTMLSelectElement).value);
              setPhoneNumberId('');
            }}
            data-testid="filter-team"
          >
            <option value="">{filters.data?.orgWide ? 'All teams' : 'My teams'}</option>
            {filters.data?.teams.map((t) => (
              <option key={t.id} value={t.id}>
                {t.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Number{' '}
          <select value={phoneNumberId} onChange={(e) => setPhoneNumberId((e.currentTarget as HTMLSelectElement).value)} data-testid="filter-number">
            <option value="">All numbers</option>
            {numbers.map((n) => (
              <option key={n.id} value={n.id}>
                {n.e164}
                {n.status === 'released' ? ' (released)' : ''}
              </option>
            ))}
          </select>
        </label>
        {result.fetching && !result.loading && <span class="muted small">Updating…</span>}
      </div>
      {result.loading ? (
        <Loading label="Loading analytics…" />
      ) : !result.data || (result.error && !result.fetching) ? (
        <ErrorState message={result.error ?? ''} onRetry={result.reload} />
      ) : (
        <Figures data={result.data} />
      )}
    </section>
  );
}

function Figures({ data }: { data: BlastAnalytics }) {
  const t = data.totals;
  const dates = useMemo(() => data.days.map((d) => d.date), [data]);
  const volume = useMemo<ChartSeries[]>(() => VOLUME_SERIES.map((s) => ({ label: s.label, color: s.color, values: data.days.map((d) => d[s.key]) })), [data]);
  const spend = useMemo<ChartSeries[]>(() => [{ label: 'Spend (USD)', color: '#2f8f6b', values: data.days.map((d) => d.spendCents / 100) }], [data]);
  return (
    <>
      <dl class="stats" data-testid="analytics-tiles">
        <div>
          <dt>Total SMS</dt>
          <dd data-testid="tile-total">{count(t.messages)}</dd>
        </div>
        <div>
          <dt>Blast SMS</dt>
          <dd data-testid="tile-blast">{count(t.blast)}</dd>
        </div>
        <div>
          <dt>Spend (est.)</dt>
          <dd data-testid="tile-spend">{money(t.spendCents)}</dd>
        </div>
        <div>
          <dt>Blast reply rate</dt>
          <dd data-testid="tile-reply-rate">{percent(t.replyRate)}</dd>
        </div>
      </dl>
      {t.messages === 0 ? (
        <EmptyState title="No messages in this period" testId="analytics-empty">
          <p>Pick a longer period or another team or number. Texts count once the carrier has taken them.</p>
        </EmptyState>
      ) : (
        <>
          <div class="analytics-charts">
            <BarChart days={dates} series={volume} stacked label="Texts per day" format={(v) => count(Math.round(v))} testId="chart-volume" />
            <BarChart days={dates} series={spend} label="Spend per day" format={(v) => `$${v.toFixed(2)}`} testId="chart-spend" />
          </div>
          <p class="muted small">
            Spend is an estimate at list price: ${data.prices.smsSegmentUsd} per SMS segment, ${data.prices.mmsMessageUsd} per MMS; carrier fees are not included. Reply rate: blast messages whose patient texted back afterwards.
          </p>
          <details class="analytics-table">
            <summary>Figures per day</summary>
            <div class="table-wrap">
              <table class="table" data-testid="analytics-table">
                <thead>
                  <tr>
                    <th>Day</th>
                    <th>Blast SMS</th>
                    <th>One-to-one SMS</th>
                    <th>Segments</th>
                    <th>MMS</th>
                    <th>Spend</th>
                    <th>Blast replies</th>
                  </tr>
                </thead>
                <tbody>
                  {data.days
                    .filter((d) => d.blast + d.oneToOne > 0)
                    .map((d) => (
                      <tr key={d.date}>
                        <td>{d.date}</td>
                        <td>{count(d.blast)}</td>
                        <td>{count(d.oneToOne)}</td>
                        <td>{count(d.segments)}</td>
                        <td>{count(d.mms)}</td>
                        <td>{money(d.spendCents)}</td>
                        <td>{count(d.blastReplied)}</td>
                      </tr>
                    ))}
                </tbody>
              </table>
            </div>
          </details>
        </>
      )}
    </>
  );
}

/** Made in the browser from the figures on screen: no second query, nothing but counts. */
function download(data: BlastAnalytics, labels: { team: string; number: string }) {
  const url = URL.createObjectURL(new Blob([analyticsCsv(data, labels)], { type: 'text/csv;charset=utf-8' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = csvFileName(data);
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

