import { useRef, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { FormError } from '../../../components/Field';
import { useSubmit } from '../../../lib/form';
import { Breadcrumbs } from '../Breadcrumbs';
import { ImportFormat } from './ImportFormat';
import { RecentImports } from './RecentImports';
import { checkFile, uploadPatientsCsv } from './upload';

/** /directory/patients/import: how the file should look, the upload, and recent imports to reopen. */
export function ImportStartPage() {
  return (
    <div class="stack-lg" data-testid="import-start">
      <Breadcrumbs trail={[{ label: 'Patients', href: '/directory/patients' }]} current="Import CSV" />
      <UploadCard />
      <ImportFormat />
      <RecentImports />
    </div>
  );
}

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function UploadCard() {
  const { route } = useLocation();
  const upload = useSubmit();
  const [file, setFile] = useState<File | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);

  function choose(e: Event) {
    const chosen = (e.currentTarget as HTMLInputElement).files?.[0] ?? null;
    setFile(chosen);
    setProblem(chosen ? checkFile(chosen) : null);
    upload.setFormError(null);
  }

  async function submit(e: Event) {
    e.preventDefault();
    if (!file) {
      setProblem('Choose a CSV file first.');
      return;
    }
    const wrong = checkFile(file);
    if (wrong) return setProblem(wrong);
    const result = await upload.run(() => uploadPatientsCsv(file));
    if (result.ok) route(`/directory/patients/import/${result.value.jobId}`);
  }

  return (
    <section class="card section" data-testid="upload-card">
      <div class="section-head">
        <div>
          <h2>Import patients from a CSV file</h2>
          <p class="muted">Nothing is saved until you have read the report and confirmed.</p>
        </div>
      </div>
      <form onSubmit={submit} noValidate class="upload-layout">
        <ol class="import-steps">
          <li>Choose the file. We check every row: you see how many patients will be created or updated, and every row with a problem.</li>
          <li>Read the report, fix the file if you need to, then confirm.</li>
          <li>Follow the import as it runs. You can leave the page and come back.</li>
        </ol>
        <div>
          <label class={`file-drop${file ? ' has-file' : ''}`} for="import-file">
            <input id="import-file" ref={input} type="file" accept=".csv,.txt,text/csv" onChange={choose} data-testid="import-file" />
            {file ? (
              <span>
                <strong data-testid="chosen-file">{file.name}</strong>
                <span class="muted block small">{formatSize(file.size)} · click to choose another file</span>
              </span>
            ) : (
              <span>
                <strong>Choose a CSV file</strong>
                <span class="muted block small">Saved from Excel, Google Sheets or Numbers as .csv</span>
              </span>
            )}
          </label>
          {problem && (
            <p class="field-error" role="alert" data-testid="file-problem">
              {problem}
            </p>
          )}
          <FormError message={upload.formError} />
          <button type="submit" class="btn btn-primary upload-button" disabled={upload.pending || !file || Boolean(problem)} aria-busy={upload.pending} data-testid="upload-submit">
            {upload.pending ? 'Uploading…' : 'Upload and check'}
          </button>
        </div>
      </form>
    </section>
  );
}
