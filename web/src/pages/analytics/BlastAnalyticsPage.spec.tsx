import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/preact';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { session } from '../../lib/session';
import { trpc } from '../../lib/trpc';
import { analyticsCsv } from './analytics-csv';
import { BlastAnalyticsPage, orgDay } from './BlastAnalyticsPage';
import type { BlastAnalytics } from './types';

vi.mock('../../lib/trpc', () => ({
  trpc: { analytics: { filters: { query: vi.fn() }, blasts: { query: vi.fn() } } },
}));

const TZ = 'America/Chicago';
const filters = {
  orgWide: true,
  teams: [
    { id: 't1', name: 'Front Desk' },
    { id: 't2', name: 'Billing' },
  ],
  numbers: [
    { id: 'n1', e164: '+14155550100', teamId: 't1', status: 'active' },
    { id: 'n2', e164: '+14155550200', teamId: 't2', status: 'active' },
  ],
};
const day = (date: string, d: Partial<BlastAnalytics['days'][number]> = {}) => ({ date, blast: 0, oneToOne: 0, segments: 0, mms: 0, spendCents: 0, blastReplied: 0, ...d });
function analytics(over: Partial<BlastAnalytics['totals']> = {}): BlastAnalytics {
  const days = [day('2026-01-14', { blast: 3, oneToOne: 1, segments: 5, spendCents: 3.95, blastReplied: 1 }), day('2026-01-15', { oneToOne: 1, mms: 1, spendCents: 2 })];
  return {
    firstDay: '2026-01-14', lastDay: '2026-01-15', timeZone: TZ, prices: { smsSegmentUsd: 0.0079, mmsMessageUsd: 0.02 }, days,
    totals: { blast: 3, oneToOne: 2, messages: 5, segments: 5, mms: 1, blastReplied: 1, spendCents: 5.95, replyRate: 1 / 3, ...over },
  };
}
const lastCall = () => vi.mocked(trpc.analytics.blasts.query).mock.calls.at(-1)![0];

beforeEach(() => {
  vi.clearAllMocks();
  session.value = { status: 'ready', me: null, org: { myRole: 'admin', name: 'Bayview', timeZone: TZ } as never };
  vi.mocked(trpc.analytics.filters.query).mockResolvedValue(filters as never);
});
afterEach(() => cleanup());

describe('Analytics → Blasts', () => {
  it('asks for the last 30 days in the org time zone, then for each range, team and number picked', async () => {
    vi.mocked(trpc.analytics.blasts.query).mockResolvedValue(analytics() as never);
    render(<BlastAnalyticsPage />);
    await screen.findByTestId('analytics-tiles');
    expect(lastCall()).toEqual({ firstDay: orgDay(TZ, 29), lastDay: orgDay(TZ, 0), teamId: undefined, phoneNumberId: undefined });
    expect(screen.getByTestId('tile-total').textContent).toBe('5');
    expect(screen.getByTestId('tile-spend').textContent).toBe('$0.06');
    expect(screen.getByTestId('tile-reply-rate').textContent).toBe('33.3%');

    fireEvent.click(screen.getByTestId('range-7'));
    await waitFor(() => expect(lastCall()).toMatchObject({ firstDay: orgDay(TZ, 6), lastDay: orgDay(TZ, 0) }));
    await waitFor(() => expect(screen.getByTestId('filter-team').querySelectorAll('option')).toHaveLength(3));
    fireEvent.change(screen.getByTestId('filter-team'), { target: { value: 't2' } });
    await waitFor(() => expect(lastCall()).toMatchObject({ teamId: 't2', phoneNumberId: undefined }));
    // Only the chosen team's numbers are offered.
    expect([...screen.getByTestId('filter-number').querySelectorAll('option')].map((o) => o.textContent)).toEqual(['All numbers', '+14155550200']);
    fireEvent.change(screen.getByTestId('filter-number'), { target: { value: 'n2' } });
    await waitFor(() => expect(lastCall()).toMatchObject({ teamId: 't2', phoneNumberId: 'n2' }));

    fireEvent.click(screen.getByTestId('range-custom'));
    fireEvent.change(screen.getByTestId('range-from'), { target: { value: '2025-12-01' } });
    fireEvent.change(screen.getByTestId('range-to'), { target: { value: '2025-12-31' } });
    await waitFor(() => expect(lastCall()).toEqual({ firstDay: '2025-12-01', lastDay: '2025-12-31', teamId: 't2', phoneNumberId: 'n2' }));
    // A date being typed (empty) or an end before the start is not sent.
    const calls = vi.mocked(trpc.analytics.blasts.query).mock.calls.length;
    fireEvent.change(screen.getByTestId('range-from'), { target: { value: '' } });
    expect((await screen.findByTestId('error-state')).textContent).toContain('Pick a start date on or before the end date.');
    expect(vi.mocked(trpc.analytics.blasts.query).mock.calls.length).toBe(calls);
  });

  it('shows "No messages in this period" when nothing was sent, and the error with a retry when the query fails', async () => {
    vi.mocked(trpc.analytics.blasts.query).mockResolvedValueOnce(analytics({ blast: 0, oneToOne: 0, messages: 0, segments: 0, mms: 0, blastReplied: 0, spendCents: 0, replyRate: null }) as never);
    render(<BlastAnalyticsPage />);
    expect(screen.getByTestId('loading')).toBeTruthy();
    expect((await screen.findByTestId('analytics-empty')).textContent).toContain('No messages in this period');
    expect(screen.getByTestId('tile-reply-rate').textContent).toBe('—');
    cleanup();
    vi.mocked(trpc.analytics.blasts.query).mockRejectedValueOnce(new Error('Pick a period of at most 366 days.')).mockResolvedValueOnce(analytics() as never);
    render(<BlastAnalyticsPage />);
    expect((await screen.findByTestId('error-state')).textContent).toContain('Pick a period of at most 366 days.');
    fireEvent.click(screen.getByText('Try again'));
    await screen.findByTestId('analytics-tiles');
  });

  it('Export CSV downloads the figures on screen: a row per day, a total, formula-safe cells', async () => {
    vi.mocked(trpc.analytics.blasts.query).mockResolvedValue(analytics() as never);
    const blobs: Blob[] = [];
    const createObjectURL = vi.fn((b: Blob) => (blobs.push(b), 'blob:analytics'));
    Object.assign(URL, { createObjectURL, revokeObjectURL: vi.fn() });
    let downloaded = '';
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      downloaded = this.download;
    });
    render(<BlastAnalyticsPage />);
    await screen.findByTestId('analytics-tiles');
    await waitFor(() => expect((screen.getByTestId('analytics-export') as HTMLButtonElement).disabled).toBe(false));
    fireEvent.click(screen.getByTestId('analytics-export'));
    expect(downloaded).toBe('blast-analytics-2026-01-14-to-2026-01-15.csv');
    const text = await blobs[0]!.text();
    expect(text.split('\r\n')).toEqual([
      'first_day,2026-01-14,last_day,2026-01-15,time_zone,America/Chicago,team,All teams,number,All numbers',
      'date,blast_sms,one_to_one_sms,total_sms,segments,mms,spend_usd,blast_replies,blast_reply_rate',
      '2026-01-14,3,1,4,5,0,0.0395,1,0.3333',
      '2026-01-15,0,1,1,0,1,0.0200,0,',
      'Total,3,2,5,5,1,0.0595,1,0.3333',
      '',
    ]);
    click.mockRestore();
  });

  it('a team name that looks like a formula cannot run in a spreadsheet', () => {
    const csv = analyticsCsv(analytics(), { team: '=HYPERLINK("http://evil")', number: '+14155550100' });
    expect(csv.split('\r\n')[0]).toBe(`first_day,2026-01-14,last_day,2026-01-15,time_zone,America/Chicago,team,"'=HYPERLINK(""http://evil"")",number,+14155550100`);
  });
});
