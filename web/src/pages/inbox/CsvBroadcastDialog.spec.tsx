import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/preact';
import { TRPCClientError } from '@trpc/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { trpc } from '../../lib/trpc';
import { CsvBroadcastDialog } from './CsvBroadcastDialog';

vi.mock('../../lib/trpc', () => ({
  trpc: { csvBroadcasts: { upload: { mutate: vi.fn() }, get: { query: vi.fn() }, send: { mutate: vi.fn() } } },
}));
const api = vi.mocked(trpc, { deep: true });

const base = {
  id: 'b1',
  fileName: 'flu.csv',
  error: null,
  createdAt: new Date('2026-04-22T16:00:00Z'),
  sentAt: null,
  blastId: null,
  importJobId: 'j1',
  ingest: { status: 'running', processedRows: 2, totalRows: 5, headerErrors: [] },
  rowErrors: { total: 0, issues: [] },
  patients: 4,
  preview: null,
  follows: null,
  gotIt: null,
};
const preview = { total: 4, willSend: 3, optedOut: 1, noContactInfo: 0, landline: 0, blocked: 0, notOptedIn: 0, notFound: 0 };
const badRow = { total: 1, issues: [{ line: 4, severity: 'error', field: 'phone', message: 'phone "12" is not a valid phone number' }] };

function chooseFile(text = 'phone,first_name\n4155550401,Ann\n') {
  const file = new File([text], 'flu.csv', { type: 'text/csv' });
  fireEvent.change(screen.getByTestId('csv-broadcast-file'), { target: { files: [file] } });
}

describe('Broadcast from CSV', () => {
  beforeEach(() => {
    vi.clearAllMocks();
    render(<CsvBroadcastDialog teamId="t1" onClose={vi.fn()} />);
  });
  afterEach(cleanup);

  it('uploads the file, waits for the import, previews who it reaches and the bad rows, then sends the message once', async () => {
    api.csvBroadcasts.upload.mutate.mockResolvedValue({ duplicate: false, broadcastId: 'b1' });
    api.csvBroadcasts.get.query
      .mockResolvedValueOnce({ ...base, status: 'ingesting' } as never)
      .mockResolvedValue({ ...base, status: 'ready', preview, rowErrors: badRow } as never);
    api.csvBroadcasts.send.mutate.mockResolvedValue({ duplicate: false, blastId: 'blast9' });
    chooseFile();
    expect((await screen.findByTestId('csv-broadcast-ingesting')).textContent).toContain('2 of 5 rows');
    const counts = await screen.findByTestId('csv-broadcast-preview', {}, { timeout: 3000 });
    expect(counts.textContent).toContain('Will send3');
    expect(counts.textContent).toContain('Opted out1');
    expect(screen.getByTestId('csv-broadcast-row-errors').textContent).toContain('Line 4: phone "12" is not a valid phone number');
    // "Hi Amina, flu shots are in.": counted on the text as a sample patient reads it.
    // The file's bytes went up as base64, hashed by the server as uploaded.
    expect(atob(api.csvBroadcasts.upload.mutate.mock.calls[0]![0].content)).toBe('phone,first_name\n4155550401,Ann\n');

    expect(screen.queryByTestId('csv-broadcast-send')).toBeNull(); // nothing to send before a message is written
    fireEvent.input(screen.getByTestId('csv-broadcast-body'), { target: { value: 'Hi {{first_name}}, flu shots are in.' } });
    expect(screen.getByTestId('csv-broadcast-counter').textContent).toMatch(/^27 \/ 160 · 1 segment · GSM-7 · ≈ \$[\d.]+ for 3 messages$/);
    fireEvent.click(screen.getByTestId('csv-broadcast-send'));
    expect((await screen.findByTestId('csv-broadcast-sent')).textContent).toContain('Comms → Blasts');
    expect(api.csvBroadcasts.send.mutate).toHaveBeenCalledTimes(1);
    expect(api.csvBroadcasts.send.mutate).toHaveBeenCalledWith({ teamId: 't1', broadcastId: 'b1', body: 'Hi {{first_name}}, flu shots are in.', confirmPhi: false });
  });

  it('the same file again says when it was sent and who got it, and offers nothing that would resend', async () => {
    api.csvBroadcasts.upload.mutate.mockResolvedValue({ duplicate: true, broadcastId: 'b1' });
    api.csvBroadcasts.get.query.mockResolvedValue({ ...base, status: 'sent', sentAt: new Date('2026-04-22T16:00:00Z'), blastId: 'blast9', gotIt: { count: 3, names: ['Ann Avery', 'Bob Baker', 'Eve Ellis'] } } as never);
    chooseFile();
    const said = await screen.findByTestId('csv-broadcast-already');
    expect(said.textContent).toMatch(/This file was already sent from this number on Apr 22, 2026, \d+:00 [AP]M: 3 patients got it\./);
    expect(said.textContent).toContain('Ann Avery, Bob Baker, Eve Ellis');
    expect(screen.queryByTestId('csv-broadcast-send')).toBeNull();
    expect(screen.queryByTestId('csv-broadcast-body')).toBeNull();
    expect(api.csvBroadcasts.send.mutate).not.toHaveBeenCalled();
  });

  it('a changed file lists who already got the earlier broadcast and sends its message to the new patients only', async () => {
    api.csvBroadcasts.upload.mutate.mockResolvedValue({ duplicate: false, broadcastId: 'b2' });
    const follows = { fileName: 'flu.csv', sentAt: new Date('2026-04-22T16:00:00Z'), body: 'Hi {{first_name}}, flu shots are in.', newPatients: 2, already: { count: 3, names: ['Ann Avery', 'Bob Baker', 'Eve Ellis'] } };
    api.csvBroadcasts.get.query.mockResolvedValue({ ...base, id: 'b2', status: 'ready', preview: { ...preview, total: 2, willSend: 2, optedOut: 0 }, follows } as never);
    api.csvBroadcasts.send.mutate.mockResolvedValue({ duplicate: false, blastId: 'blast9' });
    chooseFile('changed');
    expect((await screen.findByTestId('csv-broadcast-follows')).textContent).toContain('3 patients in this file already got the broadcast of flu.csv');
    expect(screen.getByTestId('csv-broadcast-earlier-body').textContent).toBe('Hi {{first_name}}, flu shots are in.');
    fireEvent.click(screen.getByTestId('csv-broadcast-send'));
    await screen.findByTestId('csv-broadcast-sent');
    expect(api.csvBroadcasts.send.mutate).toHaveBeenCalledWith({ teamId: 't1', broadcastId: 'b2', body: follows.body, confirmPhi: false });
  });

  it('a message that looks like PHI is held with what was found until the person sends anyway', async () => {
    api.csvBroadcasts.upload.mutate.mockResolvedValue({ duplicate: false, broadcastId: 'b1' });
    api.csvBroadcasts.get.query.mockResolvedValue({ ...base, status: 'ready', preview } as never);
    const phi = new TRPCClientError('This message looks like it has a diagnosis in it.', { result: { error: { data: { reason: 'phi' } } } as never });
    Object.defineProperty(phi, 'data', { value: { reason: 'phi' } });
    api.csvBroadcasts.send.mutate.mockRejectedValueOnce(phi).mockResolvedValue({ duplicate: false, blastId: 'blast9' });
    chooseFile();
    fireEvent.input(await screen.findByTestId('csv-broadcast-body'), { target: { value: 'Your diabetes results are in.' } });
    fireEvent.click(screen.getByTestId('csv-broadcast-send'));
    expect((await screen.findByTestId('csv-broadcast-phi')).textContent).toContain('diagnosis');
    expect(screen.getByTestId('csv-broadcast-send').textContent).toBe('Send anyway');
    fireEvent.click(screen.getByTestId('csv-broadcast-send'));
    await screen.findByTestId('csv-broadcast-sent');
    expect(api.csvBroadcasts.send.mutate).toHaveBeenLastCalledWith(expect.objectContaining({ confirmPhi: true }));
  });

  it('a file the import refuses says why', async () => {
    api.csvBroadcasts.upload.mutate.mockResolvedValue({ duplicate: false, broadcastId: 'b1' });
    api.csvBroadcasts.get.query.mockResolvedValue({ ...base, status: 'failed', error: 'The file has no phone column.' } as never);
    chooseFile();
    await waitFor(() => expect(screen.getByTestId('csv-broadcast-failed').textContent).toContain('The file has no phone column.'));
    expect(screen.queryByTestId('csv-broadcast-send')).toBeNull();
  });
});
