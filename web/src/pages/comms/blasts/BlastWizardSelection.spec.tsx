import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/preact';
import { LocationProvider } from 'preact-iso';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { session } from '../../../lib/session';
import { trpc } from '../../../lib/trpc';
import { BlastWizardPage, MAX_URL_PATIENTS, PREVIEW_DEBOUNCE_MS, patientsParam } from './BlastWizardPage';

/** /comms/blasts/new?patients=<ids>: the wizard with patients picked elsewhere (Bulk Text, the extension) as its audience. */

vi.mock('../../../lib/trpc', () => ({
  trpc: {
    numbers: { list: { query: vi.fn(async () => [{ id: 'n1', isMine: true, display: '(415) 555-0100', team: { id: 't1', name: 'Front Desk' } }]) } },
    cohorts: { list: { query: vi.fn(async () => []) } },
    templates: { list: { query: vi.fn(async () => []) } },
    blasts: {
      get: { query: vi.fn() },
      selection: { query: vi.fn(async () => ({ found: 2, notFound: 1, patients: [{ id: 'p1', firstName: 'Ann', lastName: 'Avery', preferredName: null, phone: '+14155550101' }, { id: 'p2', firstName: 'Gus', lastName: 'Gray', preferredName: null, phone: '+14155550102' }] })) },
      preview: { query: vi.fn(async () => ({ total: 2, willSend: 1, optedOut: 1, noContactInfo: 0, landline: 0, blocked: 0, notOptedIn: 0, notFound: 1 })) },
      send: { mutate: vi.fn(async () => ({ duplicate: false, blast: { id: 'b1' } })) },
      sendTest: { mutate: vi.fn() },
    },
  },
}));

function openAt(url: string) {
  history.replaceState(null, '', url);
  render(
    <LocationProvider>
      <BlastWizardPage />
    </LocationProvider>,
  );
}

beforeEach(() => {
  vi.useFakeTimers({ shouldAdvanceTime: true });
  vi.clearAllMocks();
  session.value = { status: 'ready', me: null, org: { myRole: 'member', name: 'Bayview' } as never };
});
afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

describe('New Blast with ?patients=', () => {
  it('shows the selected patients by name (no cohort needed) and previews, sends and tests to exactly them', async () => {
    openAt('/comms/blasts/new?patients=p1,p2,p1,gone');
    await waitFor(() => expect(screen.getByTestId('blast-selection-count').textContent).toContain('2 selected patients'));
    expect(screen.getByTestId('blast-selection-count').textContent).toContain('1 not found');
    expect(screen.getByTestId('blast-selection-names').textContent).toBe('Ann AveryGus Gray');
    expect(trpc.blasts.selection.query).toHaveBeenCalledWith({ patientIds: ['p1', 'p2', 'gone'] });
    expect(screen.queryByTestId('blast-no-cohorts')).toBeNull();
    expect(screen.queryByTestId('blast-cohorts')).toBeNull();

    fireEvent.click(screen.getByTestId('blast-next'));
    fireEvent.input(screen.getByTestId('blast-body'), { target: { value: 'Hi {{first_name}}' } });
    await act(async () => {
      await vi.advanceTimersByTimeAsync(PREVIEW_DEBOUNCE_MS + 10);
    });
    await waitFor(() => expect(screen.getByTestId('blast-send').textContent).toBe('Send to 1 patient'));
    expect(vi.mocked(trpc.blasts.preview.query).mock.calls.at(-1)![0]).toEqual({ teamId: 't1', patientIds: ['p1', 'p2', 'gone'], marketing: false });
    expect(screen.getByTestId('preview-notFound').textContent).toBe('Not found1');
    expect(screen.getByTestId('blast-wizard-compose').textContent).toContain('to 2 selected patients');

    fireEvent.click(screen.getByTestId('blast-test'));
    await waitFor(() => expect(trpc.blasts.sendTest.mutate).toHaveBeenCalledTimes(1));
    expect(vi.mocked(trpc.blasts.sendTest.mutate).mock.calls[0]![0]).toEqual({ teamId: 't1', patientIds: ['p1', 'p2', 'gone'], marketing: false, body: 'Hi {{first_name}}' });

    fireEvent.click(screen.getByTestId('blast-send'));
    fireEvent.click(screen.getByTestId('blast-send'));
    await waitFor(() => expect(trpc.blasts.send.mutate).toHaveBeenCalledTimes(1));
    const sent = vi.mocked(trpc.blasts.send.mutate).mock.calls[0]![0];
    expect(sent).toMatchObject({ teamId: 't1', patientIds: ['p1', 'p2', 'gone'], body: 'Hi {{first_name}}' });
    expect(sent).not.toHaveProperty('cohortIds');
  });

  it('Duplicate of a blast to selected patients pre-fills the same patients', async () => {
    vi.mocked(trpc.blasts.get.query).mockResolvedValue({ id: 'b0', name: 'Bulk text, Dec 1, 2026', body: 'Closed Friday', teamId: 't1', phoneNumberId: 'n1', cohortIds: [], patientIds: ['p1', 'p2'], imageIds: [], marketing: false } as never);
    openAt('/comms/blasts/new?from=b0');
    await waitFor(() => expect(screen.getByTestId('blast-selection-count').textContent).toContain('2 selected patients'));
    expect(trpc.blasts.selection.query).toHaveBeenCalledWith({ patientIds: ['p1', 'p2'] });
    expect((screen.getByTestId('blast-name') as HTMLInputElement).value).toBe('Copy of Bulk text, Dec 1, 2026');
  });

  it(`takes at most ${MAX_URL_PATIENTS} patients from a link, and says so`, async () => {
    expect(patientsParam('a, b,,a')).toEqual({ ids: ['a', 'b'], error: null });
    expect(patientsParam(undefined)).toEqual({ ids: [], error: null });
    const many = Array.from({ length: MAX_URL_PATIENTS + 1 }, (_, i) => `p${i}`).join(',');
    openAt(`/comms/blasts/new?patients=${many}`);
    expect((await screen.findByTestId('blast-too-many-patients')).textContent).toContain(`at most ${MAX_URL_PATIENTS} patients`);
    expect(trpc.blasts.selection.query).not.toHaveBeenCalled();
  });

  it('a link none of whose patients are in the directory cannot go on to compose', async () => {
    vi.mocked(trpc.blasts.selection.query).mockResolvedValueOnce({ found: 0, notFound: 2, patients: [] } as never);
    openAt('/comms/blasts/new?patients=gone1,gone2');
    await waitFor(() => expect(screen.getByTestId('blast-selection-count').textContent).toContain('0 selected patients · 2 not found'));
    fireEvent.click(screen.getByTestId('blast-next'));
    expect(screen.getByTestId('blast-audience-error').textContent).toContain("None of these patients are in your organization's directory");
    expect(screen.queryByTestId('blast-wizard-compose')).toBeNull();
  });

  it('a failed selection lookup shows an error with Try again, not an empty audience', async () => {
    vi.mocked(trpc.blasts.selection.query).mockRejectedValueOnce(new Error('The server is unreachable.'));
    openAt('/comms/blasts/new?patients=p1');
    await waitFor(() => expect(screen.getByTestId('blast-selection').textContent).toContain('The server is unreachable.'));
    fireEvent.click(screen.getByRole('button', { name: 'Try again' }));
    await waitFor(() => expect(screen.getByTestId('blast-selection-count').textContent).toContain('2 selected patients'));
  });
});
