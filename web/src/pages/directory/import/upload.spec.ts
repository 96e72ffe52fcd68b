import { afterEach, describe, expect, it, vi } from 'vitest';
import { checkFile, UploadError, uploadPatientsCsv } from './upload';

vi.mock('../../../lib/session', () => ({ refreshSession: vi.fn() }));

const file = new File(['phone\n5551234567\n'], 'patients.csv', { type: 'text/csv' });

function answer(status: number, body: unknown) {
  vi.stubGlobal('fetch', vi.fn(async () => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })));
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('uploading a CSV', () => {
  it('posts the raw file with its name and returns the new job', async () => {
    answer(201, { jobId: 'job-1' });
    await expect(uploadPatientsCsv(file)).resolves.toEqual({ jobId: 'job-1' });
    const [url, init] = vi.mocked(fetch).mock.calls[0]!;
    expect(url).toBe('/api/imports/patients?name=patients.csv');
    expect(init).toMatchObject({ method: 'POST', body: file, credentials: 'include' });
  });

  it("shows the server's reason for a refusal (the same file already importing)", async () => {
    answer(409, { error: 'This file is already being imported (uploaded by Dana Reyes).' });
    const error = await uploadPatientsCsv(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UploadError);
    expect(error).toMatchObject({ status: 409, message: 'This file is already being imported (uploaded by Dana Reyes).' });
  });

  it('still says something useful when the answer has no message', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response('<html>Bad gateway</html>', { status: 502 })));
    await expect(uploadPatientsCsv(file)).rejects.toThrow('The upload failed (HTTP 502). Try again.');
  });

  it('turns away spreadsheets and empty files before sending them', () => {
    expect(checkFile({ name: 'patients.xlsx', size: 2048 })).toContain('Save it as CSV first');
    expect(checkFile({ name: 'patients.csv', size: 0 })).toBe('The file is empty.');
    expect(checkFile({ name: 'patients.csv', size: 10 })).toBeNull();
  });
});
