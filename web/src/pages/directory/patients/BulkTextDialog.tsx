import { newIdempotencyKey, type PhiFinding } from '@caretext/shared';
import { useMemo, useState } from 'preact/hooks';
import { Modal } from '../../../components/Modal';
import { ErrorState, Loading } from '../../../components/states';
import { errorMessage } from '../../../lib/errors';
import { useQuery } from '../../../lib/query';
import { currentOrg } from '../../../lib/session';
import { trpc } from '../../../lib/trpc';
import { refusalOf } from '../../inbox/composing';
import { renderedSummary } from '../../comms/blasts/blast-compose';
import { PhiConfirm, SendPreview, TokenTextarea, useBlastPreview } from '../../comms/blasts/BlastWizardPage';

/** Patients one quick Bulk Text takes; more go through the blast wizard (Open in Blasts). */
export const BULK_TEXT_MAX = 100;

/** The blast wizard with these patients as its audience (the ?patients= contract). */
export const blastWizardUrl = (patientIds: string[]) => `/comms/blasts/new?patients=${patientIds.map(encodeURIComponent).join(',')}`;

export type BulkTextSent = { blastId: string; name: string; patients: number };

/**
 * Bulk Text: one SMS to the patients selected on the Patients page, sent as a blast (the same
 * engine: skip rules, exactly-once, results page). A name is made up by the server
 * ("Bulk text, Dec 1, 2026"); scheduling and Send Test to Me are in the wizard (Open in Blasts).
 */
export function BulkTextDialog({ patientIds, onClose, onSent }: { patientIds: string[]; onClose: () => void; onSent: (sent: BulkTextSent) => void }) {
  const numbers = useQuery(() => trpc.numbers.list.query(), []);
  const teams = useMemo(
    () => [...new Map((numbers.data ?? []).filter((n) => n.isMine).map((n) => [n.team.id, { id: n.team.id, name: n.team.name, number: n.display }])).values()],
    [numbers.data],
  );
  const title = `Send SMS to ${patientIds.length.toLocaleString()} patient${patientIds.length === 1 ? '' : 's'}`;
  const openInBlasts = (
    <a href={blastWizardUrl(patientIds)} class="btn btn-secondary" data-testid="bulk-text-open-blasts">
      Open in Blasts
    </a>
  );

  if (numbers.loading) {
    return (
      <Modal title={title} onClose={onClose} testId="bulk-text-dialog">
        <Loading />
      </Modal>
    );
  }
  if (!numbers.data) {
    return (
      <Modal title={title} onClose={onClose} testId="bulk-text-dialog">
        <ErrorState message={numbers.error ?? ''} onRetry={numbers.reload} />
      </Modal>
    );
  }
  if (teams.length === 0) {
    return (
      <Modal title={title} onClose={onClose} testId="bulk-text-dialog" actions={<button type="button" class="btn btn-secondary" onClick={onClose}>Close</button>}>
        <p data-testid="bulk-text-no-number">Texts go out from a team's phone number, and you are not on a team with one. An admin can add you to a team with a number under Directory → Phone numbers.</p>
      </Modal>
    );
  }
  return <BulkTextForm patientIds={patientIds} onClose={onClose} onSent={onSent} teams={teams} title={title} openInBlasts={openInBlasts} />;
}

type Team = { id: string; name: string; number: string };

function BulkTextForm(p: { patientIds: string[]; onClose: () => void; onSent: (sent: BulkTextSent) => void; teams: Team[]; title: string; openInBlasts: preact.JSX.Element }) {
  const [teamId, setTeamId] = useState(p.teams[0]!.id);
  const team = p.teams.find((t) => t.id === teamId) ?? p.teams[0]!;
  const [body, setBody] = useState('');
  const [marketing, setMarketing] = useState(false);
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [phi, setPhi] = useState<{ message: string; findings: PhiFinding[] } | null>(null);
  // One key per dialog: a double click, or a retry after a lost answer, returns the same blast.
  const idempotencyKey = useMemo(() => newIdempotencyKey(), []);
  const orgName = currentOrg.value?.name ?? '';
  const preview = useBlastPreview(team.id, { patientIds: p.patientIds }, marketing);
  const willSend = preview.data?.willSend ?? 0;
  const summary = renderedSummary(body, orgName, willSend);

  async function send(confirmPhi: boolean) {
    if (sending) return;
    if (!body.trim()) return setError('Write a message first.');
    setSending(true);
    setError(null);
    try {
      const { blast } = await trpc.blasts.send.mutate({
        teamId: team.id,
        patientIds: p.patientIds,
        body: body,
        marketing: marketing,
        idempotencyKey: idempotencyKey,
        ...(confirmPhi ? { confirmPhi: true } : {}),
      });
      p.onSent({ blastId: blast.id, name: blast.name, patients: blast.selectedCount });
    } catch (e) {
      const refusal = refusalOf(e);
      if (refusal?.reason === 'phi') setPhi({ message: refusal.message, findings: (refusal.details?.findings as PhiFinding[] | undefined) ?? [] });
      else setError(errorMessage(e));
      setSending(false);
    }
  }

  return (
    <Modal
      title={p.title}
      onClose={p.onClose}
      busy={sending}
      wide
      testId="bulk-text-dialog"
      actions={
        <>
          <button type="button" class="btn btn-secondary" onClick={p.onClose} disabled={sending}>
            Cancel
          </button>
          {p.openInBlasts}
          <button type="button" class="btn btn-primary" onClick={() => void send(false)} disabled={sending || !!phi || !body.trim() || preview.data?.willSend === 0} data-testid="bulk-text-send">
            {sending ? 'Sending…' : `Send to ${willSend.toLocaleString()} patient${willSend === 1 ? '' : 's'}`}
          </button>
        </>
      }
    >
      <div class="bulk-text stack">
        <div class="stack">
          <label class="field">
            <span class="field-label">Send from</span>
            <select value={team.id} onChange={(e) => setTeamId(e.currentTarget.value)} disabled={sending} data-testid="bulk-text-team">
              {p.teams.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name} · {t.number}
                </option>
              ))}
            </select>
          </label>
          <TokenTextarea value={body} onChange={setBody} disabled={sending} orgName={orgName} />
          <p class="muted small" data-testid="blast-counter">
            {summary.line}
            {summary.cost && (
              <>
                {' '}
                · estimated cost <strong data-testid="blast-cost">{summary.cost}</strong> for {willSend.toLocaleString()} patient{willSend === 1 ? '' : 's'}
              </>
            )}
          </p>
          {body.trim() && (
            <div class="blast-sample" data-testid="blast-sample">
              <span class="muted small">A sample patient reads:</span>
              <p>{summary.rendered}</p>
            </div>
          )}
          <label class="check">
            <input type="checkbox" checked={marketing} onChange={(e) => setMarketing(e.currentTarget.checked)} disabled={sending} data-testid="blast-marketing" />
            <span>
              Marketing message <span class="muted small">(only patients who opted in to SMS marketing receive it)</span>
            </span>
          </label>
          {error && (
            <p class="field-error" role="alert" data-testid="bulk-text-error">
              {error}
            </p>
          )}
          {phi && <PhiConfirm phi={phi} busy={sending} onEdit={() => setPhi(null)} onConfirm={() => void send(true)} />}
          <p class="muted small">Sent now as a blast, with a results page. To schedule it or send yourself a test first, open it in Blasts.</p>
        </div>
        <SendPreview preview={preview} marketing={marketing} selection />
      </div>
    </Modal>
  );
}
