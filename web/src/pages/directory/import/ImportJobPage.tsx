import { useLocation, useRoute } from 'preact-iso';
import { ErrorState, Loading } from '../../../components/states';
import { formatDateTime } from '../../../lib/dates';
import { useSubmit } from '../../../lib/form';
import { notify } from '../../../lib/notices';
import { trpc } from '../../../lib/trpc';
import { Breadcrumbs } from '../Breadcrumbs';
import { DryRunReport } from './DryRunReport';
import { ImportRun } from './ImportRun';
import { type ImportJob, isActive, plural, statusLabel } from './status';
import { useImportJob } from './useImportJob';

const TRAIL = [
  { label: 'Patients', href: '/directory/patients' },
  { label: 'Import CSV', href: '/directory/patients/import' },
];

/** /directory/patients/import/:jobId — one import from upload to summary; a reload picks it up again. */
export function ImportJobPage() {
  const { params } = useRoute();
  const jobId = params.jobId!;
  const job = useImportJob(jobId);

  if (job.loading) return <Loading label="Opening the import…" />;
  if (!job.data) {
    return (
      <>
        <Breadcrumbs trail={TRAIL} current="Import" />
        <section class="card section">
          <ErrorState title="Couldn't open this import" message={job.error ?? 'Import not found.'} onRetry={job.reload} />
        </section>
      </>
    );
  }
  const j = job.data;
  return (
    <div class="stack-lg" data-testid="import-job" data-status={j.status}>
      <Breadcrumbs trail={TRAIL} current={j.fileName} />
      <JobHeader job={j} />
      {job.error && isActive(j.status) && (
        <p class="muted small" role="status">
          Lost touch with the server ({job.error}). Still trying…
        </p>
      )}
      {j.status === 'analyzing' ? (
        <Checking job={j} />
      ) : j.status === 'ready' || j.status === 'invalid' ? (
        <DryRunReport job={j} onChange={job.set} />
      ) : (
        <ImportRun job={j} onChange={job.set} />
      )}
    </div>
  );
}

function JobHeader({ job }: { job: ImportJob }) {
  const status = statusLabel(job.status);
  return (
    <div class="job-header">
      <div>
        <h2 class="job-file">
          {job.fileName}
          <span class={`badge ${status.tone}`} data-testid="import-status">
            {status.label}
          </span>
        </h2>
        <p class="muted small">
          Uploaded by {job.createdBy} on {formatDateTime(job.createdAt)}
        </p>
      </div>
    </div>
  );
}

/** The dry run is reading the file: rows checked so far (the total is not known until the end). */
function Checking({ job }: { job: ImportJob }) {
  const { route } = useLocation();
  const cancel = useSubmit();
  async function stop() {
    const result = await cancel.run(() => trpc.imports.cancel.mutate({ jobId: job.id }));
    if (result.ok) {
      notify('Check cancelled. Nothing was imported.', 'info');
      route('/directory/patients/import');
    }
  }
  return (
    <section class="card section checking" data-testid="import-checking">
      <div class="checking-head">
        <span class="spinner" aria-hidden="true" />
        <div>
          <h2>Checking your file…</h2>
          <p class="muted" role="status" data-testid="rows-checked">
            {job.processedRows ? `${plural(job.processedRows, 'row', 'rows')} checked so far.` : 'Reading the first rows.'} Nothing is saved until you
            confirm.
          </p>
        </div>
      </div>
      <div class="progress progress-indeterminate" aria-hidden="true">
        <div class="progress-fill" />
      </div>
      {cancel.formError && <p class="field-error">{cancel.formError}</p>}
      <div class="button-row">
        <button type="button" class="btn btn-secondary" onClick={stop} disabled={cancel.pending}>
          {cancel.pending ? 'Cancelling…' : 'Cancel'}
        </button>
      </div>
    </section>
  );
}
