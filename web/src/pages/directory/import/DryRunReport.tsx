import { useLocation } from 'preact-iso';
import { formatDateTime } from '../../../lib/dates';
import { useSubmit } from '../../../lib/form';
import { notify } from '../../../lib/notices';
import { trpc } from '../../../lib/trpc';
import { IssuesTable } from './IssuesTable';
import { type ImportJob, patientsToImport, plural } from './status';

type Props = { job: ImportJob; onChange: (job: ImportJob) => void };

/** What the import would do, before it does anything: the numbers, the file's problems, confirm or cancel. */
export function DryRunReport({ job, onChange }: Props) {
  const report = job.report;
  const header = report?.header;
  const dryRun = report?.dryRun;
  const invalid = job.status === 'invalid';
  const issues = dryRun ? dryRun.rejected + dryRun.warnings : 0;
  return (
    <>
      {job.previousImport && (
        <div class="alert alert-warning" role="status" data-testid="previous-import">
          <strong>
            This file was imported on {job.previousImport.at ? formatDateTime(job.previousImport.at) : 'an earlier date'} by {job.previousImport.by}
          </strong>{' '}
          ({job.previousImport.created.toLocaleString()} created, {job.previousImport.updated.toLocaleString()} updated). Importing it again creates no
          duplicates: rows that match a patient update that patient, or leave it unchanged.
        </div>
      )}

      {header && header.errors.length > 0 && (
        <div class="alert alert-error" role="alert" data-testid="header-errors">
          <strong>This file can't be imported as it is.</strong>
          <ul class="finding-list">
            {header.errors.map((e) => (
              <li key={e}>{e}</li>
            ))}
          </ul>
          <p>Fix the header row (row 1) and upload the file again.</p>
        </div>
      )}

      {header && (header.unrecognized.length > 0 || header.duplicates.length > 0) && (
        <div class="alert alert-warning" data-testid="header-findings">
          <strong>
            {plural(header.unrecognized.length + header.duplicates.length, 'column', 'columns')} will not be imported
          </strong>
          <ul class="finding-list">
            {header.unrecognized.map((u) => (
              <li key={`u${u.index}`} data-testid="unrecognized-column">
                Column {u.index + 1}, <code>{u.header}</code>:{' '}
                {u.suggestion ? (
                  <>
                    not a recognized column. Did you mean <code>{u.suggestion}</code>? Header names must match exactly, in lowercase.
                  </>
                ) : (
                  'not a recognized column.'
                )}
              </li>
            ))}
            {header.duplicates.map((d) => (
              <li key={`d${d.index}`}>{d.message}</li>
            ))}
          </ul>
          {header.unrecognized.some((u) => u.suggestion) && <p>To import a column like this, correct its name in row 1 and upload the file again.</p>}
        </div>
      )}

      <section class="card section" data-testid="dry-run-report">
        <div class="section-head">
          <div>
            <h2>{invalid ? 'Nothing can be imported from this file' : 'Dry run: nothing has been saved yet'}</h2>
            <p class="muted">
              {dryRun && !invalid
                ? `We checked ${plural(dryRun.total, 'row', 'rows')}. Here is what importing this file will do.`
                : 'The file was not checked row by row because of the problem above.'}
            </p>
          </div>
          {issues > 0 && (
            <a href={`/api/imports/${job.id}/report.csv`} download class="btn btn-secondary" data-testid="download-report">
              Download report (CSV)
            </a>
          )}
        </div>
        {dryRun && !invalid && (
          <dl class="big-numbers">
            <Stat label="Will create" value={dryRun.created} tone="create" testId="will-create" />
            <Stat label="Will update" value={dryRun.updated} tone="update" testId="will-update" />
            <Stat label="Unchanged" value={dryRun.unchanged} tone="same" testId="unchanged" />
            <Stat label="Rejected" value={dryRun.rejected} tone="rejected" testId="rejected" />
          </dl>
        )}
        {dryRun && !invalid && dryRun.warnings > 0 && (
          <p class="muted small report-note">
            {plural(dryRun.warnings, 'row is', 'rows are')} imported with a warning: see the flagged rows below.
          </p>
        )}
        <ReportActions job={job} onChange={onChange} />
      </section>

      {!invalid && <IssuesTable jobId={job.id} />}
    </>
  );
}

function Stat({ label, value, tone, testId }: { label: string; value: number; tone: string; testId: string }) {
  return (
    <div class={`big-number big-number-${tone}`}>
      <dt>{label}</dt>
      <dd data-testid={testId}>{value.toLocaleString()}</dd>
    </div>
  );
}

function ReportActions({ job, onChange }: Props) {
  const { route } = useLocation();
  const confirm = useSubmit();
  const cancel = useSubmit();
  const count = patientsToImport(job);
  const busy = confirm.pending || cancel.pending;

  async function start() {
    const result = await confirm.run(() => trpc.imports.confirm.mutate({ jobId: job.id }));
    if (result.ok) onChange(result.value);
  }

  async function discard() {
    const result = await cancel.run(() => trpc.imports.cancel.mutate({ jobId: job.id }));
    if (result.ok) {
      notify('Import cancelled. Nothing was imported.', 'info');
      route('/directory/patients/import');
    }
  }

  if (job.status === 'invalid') {
    return (
      <div class="report-actions">
        <a href="/directory/patients/import" class="btn btn-primary">
          Upload a fixed file
        </a>
      </div>
    );
  }
  return (
    <>
      {(confirm.formError || cancel.formError) && (
        <div class="alert alert-error" role="alert">
          {confirm.formError ?? cancel.formError}
        </div>
      )}
      {count === 0 && <p class="muted small report-note">Every row is already in the directory as it is, or was rejected: importing changes nothing.</p>}
      <div class="report-actions">
        <button type="button" class="btn btn-primary" onClick={start} disabled={busy || count === 0} aria-busy={confirm.pending} data-testid="confirm-import">
          {confirm.pending ? 'Starting…' : `Import ${plural(count, 'patient', 'patients')}`}
        </button>
        <button type="button" class="btn btn-secondary" onClick={discard} disabled={busy} data-testid="cancel-import">
          {cancel.pending ? 'Cancelling…' : 'Cancel'}
        </button>
      </div>
    </>
  );
}
