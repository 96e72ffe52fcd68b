import { useState } from 'preact/hooks';
import { ConfirmDialog } from '../../../components/ConfirmDialog';
import { formatDateTime } from '../../../lib/dates';
import { notify } from '../../../lib/notices';
import { trpc } from '../../../lib/trpc';
import { IssuesTable } from './IssuesTable';
import { countsSentence, type ImportJob, percentDone, plural } from './status';

type Props = { job: ImportJob; onChange: (job: ImportJob) => void };

/** After confirm: progress while it runs, then what was applied (all of it, or up to where it stopped). */
export function ImportRun({ job, onChange }: Props) {
  const rejectedRows = job.report?.dryRun.rejected ?? 0;
  return (
    <>
      {job.status === 'queued' || job.status === 'running' ? (
        <Running job={job} onChange={onChange} />
      ) : job.status === 'completed' ? (
        <Completed job={job} />
      ) : (
        <Stopped job={job} />
      )}
      {job.confirmedAt && rejectedRows > 0 && job.status !== 'running' && job.status !== 'queued' && <IssuesTable jobId={job.id} only="error" />}
    </>
  );
}

function Progress({ job }: { job: ImportJob }) {
  const percent = percentDone(job.processedRows, job.totalRows);
  return (
    <div class="progress-block">
      <div class="progress" role="progressbar" aria-label="Import progress" aria-valuemin={0} aria-valuemax={100} aria-valuenow={percent} data-testid="import-progress">
        <div class="progress-fill" style={{ width: `${percent}%` }} />
      </div>
      <p class="progress-text" data-testid="import-progress-text">
        <span>
          {job.processedRows.toLocaleString()} of {plural(job.totalRows, 'row', 'rows')}
        </span>
        <strong>{percent}%</strong>
      </p>
    </div>
  );
}

function AppliedNumbers({ counts }: { counts: ImportJob['applied'] }) {
  return (
    <dl class="big-numbers" data-testid="applied">
      <div class="big-number big-number-create">
        <dt>Created</dt>
        <dd data-testid="applied-created">{counts.created.toLocaleString()}</dd>
      </div>
      <div class="big-number big-number-update">
        <dt>Updated</dt>
        <dd data-testid="applied-updated">{counts.updated.toLocaleString()}</dd>
      </div>
      <div class="big-number big-number-same">
        <dt>Unchanged</dt>
        <dd data-testid="applied-unchanged">{counts.unchanged.toLocaleString()}</dd>
      </div>
      <div class="big-number big-number-rejected">
        <dt>Rejected</dt>
        <dd data-testid="applied-rejected">{counts.rejected.toLocaleString()}</dd>
      </div>
    </dl>
  );
}

function Running({ job, onChange }: Props) {
  const [stopping, setStopping] = useState(false);
  return (
    <section class="card section" data-testid="import-running">
      <div class="section-head">
        <div>
          <h2>{job.status === 'queued' ? 'Starting the import…' : 'Importing patients…'}</h2>
          <p class="muted">You can leave this page: the import keeps going. Reopen it from Directory → Patients → Import CSV.</p>
        </div>
        <button type="button" class="btn btn-danger-outline" onClick={() => setStopping(true)} data-testid="stop-import">
          Cancel import
        </button>
      </div>
      <Progress job={job} />
      {job.processedRows > 0 && <p class="muted small">So far: {countsSentence(job.applied)}.</p>}
      {stopping && (
        <ConfirmDialog
          title="Cancel this import?"
          confirmLabel="Cancel import"
          onClose={() => setStopping(false)}
          onConfirm={async () => {
            const cancelled = await trpc.imports.cancel.mutate({ jobId: job.id });
            notify('Import cancelled.', 'info');
            onChange(cancelled);
          }}
        >
          <p>Rows already imported stay in the directory ({job.processedRows.toLocaleString()} so far). The rest of the file is not imported.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}

function Completed({ job }: { job: ImportJob }) {
  return (
    <section class="card section" data-testid="import-complete">
      <div class="section-head">
        <div>
          <h2>Import complete</h2>
          <p class="muted">
            {job.fileName}: {countsSentence(job.applied)}
            {job.finishedAt && `, finished ${formatDateTime(job.finishedAt)}`}.
          </p>
        </div>
      </div>
      <Progress job={job} />
      <AppliedNumbers counts={job.applied} />
      <div class="report-actions">
        <a href="/directory/patients" class="btn btn-primary" data-testid="view-patients">
          View patients
        </a>
        <a href="/directory/patients/import" class="btn btn-secondary">
          Import another file
        </a>
        {job.applied.rejected > 0 && (
          <a href={`/api/imports/${job.id}/report.csv`} download class="btn btn-ghost" data-testid="download-report">
            Download report (CSV)
          </a>
        )}
      </div>
    </section>
  );
}

/** Failed or cancelled: say plainly what is in the directory now. */
function Stopped({ job }: { job: ImportJob }) {
  const failed = job.status === 'failed';
  const applied = job.confirmedAt !== null && job.processedRows > 0;
  return (
    <section class="card section" data-testid={failed ? 'import-failed' : 'import-cancelled'}>
      <div class="section-head">
        <div>
          <h2>{failed ? 'The import stopped' : 'Import cancelled'}</h2>
          <p class="muted">
            {applied
              ? `${job.processedRows.toLocaleString()} of ${plural(job.totalRows, 'row was', 'rows were')} applied before it stopped: ${countsSentence(job.applied)}. The rest of the file was not imported.`
              : 'Nothing was imported: the directory is as it was.'}
          </p>
        </div>
      </div>
      {failed && job.error && (
        <div class="alert alert-error" role="alert" data-testid="import-error">
          {job.error}
        </div>
      )}
      {applied && (
        <>
          <Progress job={job} />
          <AppliedNumbers counts={job.applied} />
        </>
      )}
      <div class="report-actions">
        <a href="/directory/patients/import" class="btn btn-primary">
          Upload a file
        </a>
        <a href="/directory/patients" class="btn btn-secondary">
          View patients
        </a>
      </div>
    </section>
  );
}
