import { EmptyState, ErrorState, Loading } from '../../../components/states';
import { formatDateTime } from '../../../lib/dates';
import { importProgress, revisions } from '../../../lib/live';
import { useQuery } from '../../../lib/query';
import { trpc } from '../../../lib/trpc';
import { countsSentence, type ImportSummary, percentDone, plural, statusLabel, withLiveProgress } from './status';

/** The organization's last imports, so anyone can reopen one (a report to read, a run to follow). */
export function RecentImports() {
  const imports = useQuery(() => trpc.imports.list.query(), [revisions.imports.value]);
  return (
    <section class="card section" data-testid="recent-imports">
      <div class="section-head">
        <div>
          <h2>Recent imports</h2>
          <p class="muted">Open one to read its report or follow its progress.</p>
        </div>
      </div>
      {imports.loading ? (
        <Loading />
      ) : !imports.data ? (
        <ErrorState message={imports.error ?? ''} onRetry={imports.reload} />
      ) : imports.data.length === 0 ? (
        <EmptyState title="No imports yet" testId="recent-imports-empty">
          Files you upload appear here.
        </EmptyState>
      ) : (
        <div class="table-wrap">
          <table class="table" data-testid="recent-imports-table">
            <thead>
              <tr>
                <th>File</th>
                <th>Status</th>
                <th>Result</th>
                <th>Uploaded by</th>
                <th>When</th>
              </tr>
            </thead>
            <tbody>
              {imports.data.map((job) => {
                const status = statusLabel(job.status);
                return (
                  <tr key={job.id} data-testid="recent-import" data-status={job.status}>
                    <td class="cell-strong cell-wrap">
                      <a href={`/directory/patients/import/${job.id}`}>{job.fileName}</a>
                    </td>
                    <td>
                      <span class={`badge ${status.tone}`}>{status.label}</span>
                    </td>
                    <td class="cell-muted small">{resultText(withLiveProgress(job, importProgress.value))}</td>
                    <td>{job.createdBy}</td>
                    <td class="cell-muted nowrap">{formatDateTime(job.createdAt)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function resultText(job: ImportSummary): string {
  switch (job.status) {
    case 'analyzing':
      return `${plural(job.processedRows, 'row', 'rows')} checked so far`;
    case 'ready': {
      const d = job.report?.dryRun;
      return d ? `Will create ${d.created.toLocaleString()}, update ${d.updated.toLocaleString()}; ${d.rejected.toLocaleString()} rejected` : '';
    }
    case 'invalid':
      return job.report?.header.errors[0] ?? 'The file cannot be imported.';
    case 'queued':
    case 'running':
      return `${job.processedRows.toLocaleString()} of ${plural(job.totalRows, 'row', 'rows')} (${percentDone(job.processedRows, job.totalRows)}%)`;
    case 'completed':
      return countsSentence(job.applied);
    case 'failed':
    case 'cancelled':
      return job.confirmedAt ? `Applied before stopping: ${countsSentence(job.applied)}` : 'Nothing was imported';
    default:
      return '';
  }
}
