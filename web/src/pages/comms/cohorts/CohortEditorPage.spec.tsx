import { act, cleanup, fireEvent, render, screen } from '@testing-library/preact';
import { LocationProvider } from 'preact-iso';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { session } from '../../../lib/session';
import { trpc } from '../../../lib/trpc';
import { CohortEditor, LIVE_DEBOUNCE_MS } from './CohortEditorPage';

vi.mock('../../../lib/trpc', () => ({
  trpc: {
    cohorts: {
      options: { query: vi.fn(async () => ({ locations: ['Downtown', 'Uptown'], providers: ['Dr. Lee'], tags: ['diabetes'] })) },
      count: { query: vi.fn(async ({ filter }: { filter: { locations: string[] } }) => ({ count: filter.locations.length ? 3 : 6 })) },
      preview: { query: vi.fn(async () => ({ patients: [] })) },
      create: { mutate: vi.fn() },
    },
  },
}));

const asRole = (myRole: string) => (session.value = { status: 'ready', me: null, org: { myRole, name: 'Bayview' } as never });
const renderEditor = () =>
  render(
    <LocationProvider>
      <CohortEditor cohort={null} />
    </LocationProvider>,
  );
/** Lets the debounce run out and the mocked answers land. */
const settle = (ms = LIVE_DEBOUNCE_MS) =>
  act(async () => {
    await vi.advanceTimersByTimeAsync(ms);
  });

beforeEach(() => {
  vi.useFakeTimers();
  vi.clearAllMocks();
});
afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

describe('Cohort editor: live count', () => {
  it('asks once for the last of several quick changes, and shows its count', async () => {
    asRole('admin');
    renderEditor();
    await settle();
    expect(screen.getByTestId('cohort-live-count').textContent).toBe('6');
    expect(trpc.cohorts.count.query).toHaveBeenCalledTimes(1);

    const downtown = await screen.findByText('Downtown');
    fireEvent.click(downtown);
    await settle(LIVE_DEBOUNCE_MS / 3);
    fireEvent.click(screen.getByText('Uptown'));
    await settle(LIVE_DEBOUNCE_MS / 3);
    fireEvent.click(screen.getByText('Uptown'));
    expect(trpc.cohorts.count.query).toHaveBeenCalledTimes(1);
    await settle();
    expect(trpc.cohorts.count.query).toHaveBeenCalledTimes(2);
    expect(vi.mocked(trpc.cohorts.count.query).mock.calls[1]![0].filter.locations).toEqual(['Downtown']);
    expect(screen.getByTestId('cohort-live-count').textContent).toBe('3');
  });

  it('shows an impossible age range on the field and does not ask the server', async () => {
    asRole('admin');
    renderEditor();
    await settle();
    fireEvent.input(screen.getByTestId('filter-age-min'), { target: { value: '60' } });
    fireEvent.input(screen.getByTestId('filter-age-max'), { target: { value: '40' } });
    await settle();
    expect(screen.getByTestId('error-filter-age-max').textContent).toBe('The highest age is below the lowest.');
    expect(screen.getByTestId('cohort-live-count').textContent).toBe('—');
    expect(trpc.cohorts.count.query).toHaveBeenCalledTimes(1);
  });

  it('a server error is shown beside the count', async () => {
    asRole('admin');
    vi.mocked(trpc.cohorts.count.query).mockRejectedValueOnce(new Error('The database is restarting.'));
    renderEditor();
    await settle();
    expect(screen.getByTestId('cohort-live-error').textContent).toContain('The database is restarting.');
  });

  it('a member sees the count but cannot change or save the cohort', async () => {
    asRole('member');
    renderEditor();
    await settle();
    expect(screen.getByTestId('cohort-live-count').textContent).toBe('6');
    expect(screen.queryByTestId('cohort-save')).toBeNull();
    expect((screen.getByTestId('cohort-name') as HTMLInputElement).closest('fieldset')!.disabled).toBe(true);
  });
});
