import { estimateSmsCost, renderTemplate, segmentSummary } from '@caretext/shared';
import { signal } from '@preact/signals';
import { useEffect, useRef, useState } from 'preact/hooks';
import { FormError } from '../../components/Field';
import { Modal } from '../../components/Modal';
import { insertAtCursor, placeCursor, TokenChips, UnknownTokensWarning } from '../../components/TemplateTokens';
import { useSubmit } from '../../lib/form';
import { currentOrg } from '../../lib/session';
import { type RouterOutputs, trpc } from '../../lib/trpc';
import { refusalOf } from './composing';

type Broadcast = RouterOutputs['csvBroadcasts']['get'];

/** Polls the broadcast while its file is imported. */
const POLL_MS = 800;
/** The tRPC body limit leaves room for this much file (as base64). */
const MAX_FILE_BYTES = 700 * 1024;

/** The team whose number the "Broadcast from CSV" dialog sends from; null: closed. Set by NewChatMenu. */
export const csvBroadcastTeam = signal<string | null>(null);

/** Mounted once by the inbox: the dialog outlives the + menu that opened it. */
export function CsvBroadcastHost() {
  const teamId = csvBroadcastTeam.value;
  return teamId ? <CsvBroadcastDialog teamId={teamId} onClose={() => (csvBroadcastTeam.value = null)} /> : null;
}

async function base64Of(file: Blob): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

const plural = (n: number, word: string) => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;
const when = (d: Date | string | null) => (d ? new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(d)) : '');

/**
 * Broadcast from CSV (the seed's "Broadcast messaging"): upload a CSV of patients (the import's
 * format; its rows become directory patients), see who the message will reach, write it, send.
 * The same file from the same number is sent once: uploading it again says who already got it.
 */
export function CsvBroadcastDialog({ teamId, onClose }: { teamId: string; onClose: () => void }) {
  const [broadcast, setBroadcast] = useState<Broadcast | null>(null);
  const [duplicate, setDuplicate] = useState(false);
  const [body, setBody] = useState('');
  const [sent, setSent] = useState<{ blastId: string | null } | null>(null);
  const [phi, setPhi] = useState<string | null>(null);
  const uploader = useSubmit();
  const sender = useSubmit();
  const textarea = useRef<HTMLTextAreaElement>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const orgName = currentOrg.value?.name ?? '';

  // While the file is imported, ask again (the server moves the import on: dry run, apply, patients).
  useEffect(() => {
    if (!broadcast || broadcast.status !== 'ingesting') return;
    const timer = setTimeout(() => {
      void trpc.csvBroadcasts.get.query({ teamId, broadcastId: broadcast.id }).then(setBroadcast, () => undefined);
    }, POLL_MS);
    return () => clearTimeout(timer);
  }, [broadcast]);

  async function pick(file: File | undefined) {
    if (!file) return;
    await uploader.run(async () => {
      if (file.size > MAX_FILE_BYTES) throw new Error(`The file is larger than ${MAX_FILE_BYTES / 1024} KB. Split it into smaller files.`);
      const up = await trpc.csvBroadcasts.upload.mutate({ teamId, fileName: file.name, content: await base64Of(file) });
      setDuplicate(up.duplicate);
      setBroadcast(await trpc.csvBroadcasts.get.query({ teamId, broadcastId: up.broadcastId }));
    });
  }

  /** The PHI guard of a blast: refused with what it found, then sent when the person confirms. */
  async function send(confirmPhi: boolean) {
    if (!broadcast) return;
    const result = await sender.run(async () => {
      try {
        return await trpc.csvBroadcasts.send.mutate({ teamId, broadcastId: broadcast.id, body: broadcast.follows ? broadcast.follows.body : body, confirmPhi });
      } catch (error) {
        const refusal = refusalOf(error);
        if (refusal?.reason === 'phi' && !confirmPhi) {
          setPhi(refusal.message);
          return null;
        }
        throw error;
      }
    });
    if (result.ok && result.value) setSent({ blastId: result.value.blastId });
  }

  const willSend = broadcast?.preview?.willSend ?? 0;
  const text = broadcast?.follows?.body ?? body;
  const rendered = renderTemplate(text.trim(), { patient: { id: 'sample', firstName: 'Amina', lastName: 'Patel', dob: '1985-03-14', phone: '+15551234567', email: 'amina@example.com' }, org: { name: orgName } });
  const summary = segmentSummary(rendered);
  const total = summary.segments && willSend ? estimateSmsCost({ segments: summary.segments, recipients: willSend, channel: 'sms' }).display : null;
  const canSend = broadcast?.status === 'ready' && willSend > 0 && (broadcast.follows !== null || body.trim().length > 0) && !sent;

  return (
    <Modal
      title="Broadcast from CSV"
      wide
      onClose={onClose}
      busy={uploader.pending || sender.pending}
      testId="csv-broadcast-dialog"
      actions={
        <>
          <button type="button" class="btn" onClick={onClose}>
            {sent || broadcast?.gotIt ? 'Close' : 'Cancel'}
          </button>
          {canSend && (
            <button type="button" class="btn btn-primary" disabled={sender.pending} onClick={() => void send(phi !== null)} data-testid="csv-broadcast-send">
              {sender.pending ? 'Sending…' : phi ? 'Send anyway' : `Send to ${plural(willSend, 'patient')}`}
            </button>
          )}
        </>
      }
    >
      {!broadcast && (
        <div class="stack">
          <p>
            Upload a CSV of patients: a header row (<code>phone</code>, <code>first_name</code>, <code>last_name</code>, optional <code>dob</code>, <code>email</code>, <code>mrn</code>), one patient per row. Rows
            become patients in the directory, as an import does. You see who the message will reach before anything is sent.
          </p>
          <div>
            <button type="button" class="btn btn-primary" disabled={uploader.pending} onClick={() => fileInput.current?.click()} data-testid="csv-broadcast-pick">
              {uploader.pending ? 'Uploading…' : 'Choose a CSV file'}
            </button>
            <input ref={fileInput} type="file" accept=".csv,.txt,text/csv" class="visually-hidden" tabIndex={-1} aria-label="CSV file" onChange={(e) => void pick((e.currentTarget as HTMLInputElement).files?.[0])} data-testid="csv-broadcast-file" />
          </div>
        </div>
      )}
      <FormError message={uploader.formError} />

      {broadcast?.status === 'ingesting' && (
        <p role="status" data-testid="csv-broadcast-ingesting">
          Importing {broadcast.fileName}
          {broadcast.ingest?.totalRows ? `: ${broadcast.ingest.processedRows.toLocaleString('en-US')} of ${plural(broadcast.ingest.totalRows, 'row')}` : '…'}
          {duplicate && ' This file was already uploaded from this number; it is the same broadcast, and it will be sent once.'}
        </p>
      )}

      {broadcast?.status === 'sending' && !broadcast.gotIt && (
        <p role="status" data-testid="csv-broadcast-sending">
          {broadcast.fileName} is being sent from this number right now; it will not be sent twice.
        </p>
      )}

      {broadcast?.status === 'failed' && (
        <p class="form-error" role="alert" data-testid="csv-broadcast-failed">
          {broadcast.fileName} cannot be broadcast: {broadcast.error}
        </p>
      )}

      {broadcast?.gotIt && (
        <div class="alert alert-info" role="status" data-testid="csv-broadcast-already">
          <p>
            <strong>
              This file was already sent from this number on {when(broadcast.sentAt)}: {plural(broadcast.gotIt.count, 'patient')} got it.
            </strong>
          </p>
          <p class="muted small">{names(broadcast.gotIt)}</p>
          {broadcast.blastId && <a href={`/comms/blasts/${broadcast.blastId}`}>See the results in Comms → Blasts</a>}
        </div>
      )}

      {broadcast && broadcast.rowErrors.total > 0 && (
        <details class="stack" data-testid="csv-broadcast-row-errors">
          <summary>
            {plural(broadcast.rowErrors.total, 'row')} with errors will not be sent
          </summary>
          <ul class="small">
            {broadcast.rowErrors.issues.map((i) => (
              <li key={`${i.line}-${i.field}`}>
                Line {i.line}: {i.message}
              </li>
            ))}
          </ul>
        </details>
      )}

      {broadcast?.status === 'ready' && !sent && (
        <div class="stack">
          <p data-testid="csv-broadcast-file-summary">
            <strong>{broadcast.fileName}</strong>: {plural(broadcast.patients, 'patient')} in the directory from this file.
          </p>
          {broadcast.follows && (
            <div class="alert alert-info" data-testid="csv-broadcast-follows">
              <p>
                <strong>
                  {plural(broadcast.follows.already.count, 'patient')} in this file already got the broadcast of {broadcast.follows.fileName} on {when(broadcast.follows.sentAt)}; they are not sent it again.
                </strong>
              </p>
              <p class="muted small">{names(broadcast.follows.already)}</p>
              <p>Sending gives that broadcast's message to the {plural(broadcast.follows.newPatients, 'new patient')}.</p>
            </div>
          )}
          {broadcast.preview ? (
            <dl class="csv-broadcast-counts" data-testid="csv-broadcast-preview">
              <Count label="Will send" value={broadcast.preview.willSend} />
              <Count label="Opted out" value={broadcast.preview.optedOut} />
              <Count label="No contact info" value={broadcast.preview.noContactInfo} />
              <Count label="Landline" value={broadcast.preview.landline} />
              <Count label="Blocked" value={broadcast.preview.blocked} />
            </dl>
          ) : (
            <p data-testid="csv-broadcast-nobody">Nobody in this file can be sent to.</p>
          )}
          {broadcast.follows ? (
            <>
              <span class="muted small">Message (as sent with {broadcast.follows.fileName})</span>
              <blockquote class="csv-broadcast-quote" data-testid="csv-broadcast-earlier-body">
                {broadcast.follows.body}
              </blockquote>
            </>
          ) : (
            <>
              <label for="csv-broadcast-body">Message</label>
              <textarea id="csv-broadcast-body" ref={textarea} rows={5} value={body} onInput={(e) => {
                  setBody((e.currentTarget as HTMLTextAreaElement).value);
                  setPhi(null);
                }} data-autofocus data-testid="csv-broadcast-body" />
              <TokenChips
                onInsert={(token) => {
                  const next = insertAtCursor(textarea.current, body, token);
                  setBody(next.text);
                  placeCursor(textarea.current, next.cursor);
                }}
              />
              <UnknownTokensWarning text={body} />
            </>
          )}
          <p class="muted small" data-testid="csv-broadcast-counter">
            {summary.counter}
            {total && ` · ≈ ${total} for ${plural(willSend, 'message')}`}
          </p>
        </div>
      )}

      {sent && (
        <p role="status" data-testid="csv-broadcast-sent">
          Sent. {sent.blastId && <a href={`/comms/blasts/${sent.blastId}`}>Follow the results in Comms → Blasts</a>}
        </p>
      )}
      {phi && !sent && (
        <div class="alert alert-warning" role="alert" data-testid="csv-broadcast-phi">
          {phi}
        </div>
      )}
      <FormError message={sender.formError} />
    </Modal>
  );
}

function names(got: { count: number; names: string[] }): string {
  const more = got.count - got.names.length;
  return `${got.names.join(', ')}${more > 0 ? ` and ${plural(more, 'other')}` : ''}`;
}

function Count({ label, value }: { label: string; value: number }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>{value.toLocaleString('en-US')}</dd>
    </div>
  );
}
