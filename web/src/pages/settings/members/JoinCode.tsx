import { useState } from 'preact/hooks';
import { ConfirmDialog } from '../../../components/ConfirmDialog';
import { ErrorState, Loading } from '../../../components/states';
import { notify } from '../../../lib/notices';
import { useQuery } from '../../../lib/query';
import { trpc } from '../../../lib/trpc';

export function JoinCode() {
  const code = useQuery(() => trpc.orgs.joinCode.query(), []);
  const [confirming, setConfirming] = useState(false);
  const [copied, setCopied] = useState(false);

  async function copy(value: string) {
    try {
      await navigator.clipboard.writeText(value);
      setCopied(true);
      setTimeout(() => setCopied(false), 2000);
    } catch {
      notify('Copying is blocked in this browser. Select the code and copy it by hand.', 'info');
    }
  }

  return (
    <section class="card section" data-testid="join-code">
      <div class="section-head">
        <div>
          <h2>Join code</h2>
          <p class="muted">Coworkers who sign up can ask to join with this code; you approve each request above.</p>
        </div>
      </div>
      {code.loading ? (
        <Loading />
      ) : code.error ? (
        <ErrorState message={code.error} onRetry={code.reload} />
      ) : (
        <div class="join-code-row">
          <code class="join-code" data-testid="join-code-value">
            {code.data!.joinCode}
          </code>
          <button type="button" class="btn btn-secondary" onClick={() => copy(code.data!.joinCode)}>
            {copied ? 'Copied' : 'Copy'}
          </button>
          <button type="button" class="btn btn-ghost" onClick={() => setConfirming(true)}>
            Regenerate
          </button>
        </div>
      )}
      {confirming && (
        <ConfirmDialog
          title="Regenerate the join code?"
          confirmLabel="Regenerate"
          tone="primary"
          onClose={() => setConfirming(false)}
          onConfirm={async () => {
            await trpc.orgs.regenerateJoinCode.mutate();
            await code.reload();
            notify('New join code ready. The old one no longer works.');
          }}
        >
          <p>The current code stops working. Requests already sent stay in the list.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
