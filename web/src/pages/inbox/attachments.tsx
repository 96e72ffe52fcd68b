import type { MessageAttachment } from '@caretext/shared';
import { useEffect, useState } from 'preact/hooks';
import { errorMessage } from '../../lib/errors';
import { notify } from '../../lib/notices';
import { trpc } from '../../lib/trpc';

/** A file in the composer: uploading (with progress), ready to send (its id), or refused (why). */
export type DraftFile = { key: string; name: string; size: number; progress: number; status: 'uploading' | 'ready' | 'error'; id?: string; contentType?: string; error?: string };

const FALLBACK: Record<number, string> = {
  401: 'Please sign in again.',
  403: 'You cannot add files to this conversation.',
  413: 'The file is too large.',
  415: 'This type of file cannot be sent.',
};

/**
 * Uploads one file's bytes to the conversation (POST /api/attachments, the server checks the type
 * from the bytes and the size), reporting progress; resolves to the stored file or rejects with
 * the server's reason (too large, not an allowed type), shown under that file.
 */
export function uploadFile(conversationId: string, file: Blob & { name?: string }, onProgress: (fraction: number) => void): Promise<{ id: string; fileName: string; contentType: string; size: number }> {
  return uploadBytes(`/api/attachments?conversationId=${encodeURIComponent(conversationId)}&name=${encodeURIComponent(file.name || 'file')}`, file, onProgress);
}

/** POSTs a file's raw bytes to an upload route (attachments, blast images); the server's reason on refusal. */
export function uploadBytes<T extends { id: string }>(url: string, file: Blob, onProgress: (fraction: number) => void, fallback: Record<number, string> = FALLBACK): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    xhr.withCredentials = true;
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onload = () => {
      let body: { id?: string; error?: string } = {};
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        /* not JSON: the fallback says why */
      }
      if (xhr.status === 201 && body.id) resolve(body as T);
      else reject(new Error(body.error ?? fallback[xhr.status] ?? `The upload failed (HTTP ${xhr.status}). Try again.`));
    };
    xhr.onerror = () => reject(new Error('The upload failed: check your connection and try again.'));
    xhr.send(file);
  });
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** The composer's files, under the text: name, size, progress or the reason it was refused, and Remove. */
export function DraftFiles({ files, onRemove, disabled }: { files: DraftFile[]; onRemove: (key: string) => void; disabled: boolean }) {
  if (!files.length) return null;
  return (
    <ul class="draft-files" data-testid="draft-files">
      {files.map((f) => (
        <li key={f.key} class={`draft-file draft-file-${f.status}`} data-testid="draft-file" data-status={f.status}>
          <FileIcon />
          <span class="draft-file-name">{f.name}</span>
          <span class="small muted">{formatSize(f.size)}</span>
          {f.status === 'uploading' && (
            <progress class="draft-file-progress" max={1} value={f.progress} aria-label={`Uploading ${f.name}`} data-testid="draft-file-progress" />
          )}
          {f.status === 'error' && (
            <span class="draft-file-error small" role="alert" data-testid="draft-file-error">
              {f.error}
            </span>
          )}
          <button type="button" class="btn btn-ghost btn-small" onClick={() => onRemove(f.key)} disabled={disabled} aria-label={`Remove ${f.name}`} data-testid="draft-file-remove">
            Remove
          </button>
        </li>
      ))}
    </ul>
  );
}

/** Opens a file in a new tab through a fresh short-lived link (made for the signed-in staff member only). */
async function openFile(id: string) {
  // Opened before the await, so the browser does not block it as a popup.
  const tab = window.open('', '_blank');
  try {
    const link = await trpc.attachments.link.query({ attachmentId: id });
    if (tab) tab.location.href = link.url;
    else window.location.assign(link.url);
  } catch (error) {
    tab?.close();
    notify(errorMessage(error), 'error');
  }
}

/**
 * A message's files in the thread: an image as a thumbnail (its link fetched when shown), any
 * other file as a chip with its name and size; both open a short-lived link. A recalled file
 * says so, with Recall offered to its sender on the others.
 */
export function MessageFiles({ files, canRecall, onRecall }: { files: MessageAttachment[]; canRecall: boolean; onRecall: (id: string) => void }) {
  if (!files.length) return null;
  return (
    <ul class="msg-files" data-testid="message-files">
      {files.map((f) => (
        <li key={f.id} class="msg-file" data-testid="message-file" data-recalled={f.recalled ? 'true' : undefined}>
          {f.recalled ? (
            <span class="file-chip file-chip-recalled" data-testid="file-recalled">
              File recalled
            </span>
          ) : f.contentType.startsWith('image/') ? (
            <Thumbnail file={f} />
          ) : (
            <button type="button" class="file-chip" onClick={() => void openFile(f.id)} title={`Open ${f.fileName}`} data-testid="file-chip">
              <FileIcon /> <span class="file-chip-name">{f.fileName}</span> <span class="small muted">{formatSize(f.size)}</span>
            </button>
          )}
          {canRecall && !f.recalled && (
            <button type="button" class="btn btn-ghost btn-small msg-file-recall" onClick={() => onRecall(f.id)} data-testid="recall-file">
              Recall file
            </button>
          )}
        </li>
      ))}
    </ul>
  );
}

function Thumbnail({ file }: { file: MessageAttachment }) {
  const [src, setSrc] = useState<string | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    let live = true;
    trpc.attachments.link.query({ attachmentId: file.id }).then(
      (link) => live && setSrc(link.url),
      () => live && setFailed(true),
    );
    return () => {
      live = false;
    };
  }, [file.id]);
  return (
    <button type="button" class="file-thumb" onClick={() => void openFile(file.id)} title={`${file.fileName} · ${formatSize(file.size)}`} data-testid="file-thumb">
      {src ? <img src={src} alt={file.fileName} loading="lazy" /> : <span class="small muted">{failed ? 'Image unavailable' : 'Loading…'}</span>}
      <span class="file-thumb-name small">{file.fileName}</span>
    </button>
  );
}

export function FileIcon() {
  return (
    <svg class="file-icon" width="14" height="14" viewBox="0 0 16 16" aria-hidden="true" focusable="false">
      <path fill="currentColor" d="M4 1h5.5L13 4.5V14a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1V2a1 1 0 0 1 1-1zm5 1.5V5h2.5L9 2.5zM5 8h6v1H5V8zm0 2.5h6v1H5v-1z" />
    </svg>
  );
}

export function PaperclipIcon() {
  return (
    <svg width="14" height="14" viewBox="0 0 16 16" aria-hidden="true" focusable="false">
      <path fill="none" stroke="currentColor" stroke-width="1.4" stroke-linecap="round" d="M10.5 4.5 5.2 9.8a1.6 1.6 0 0 0 2.3 2.3l5.6-5.6a3 3 0 0 0-4.3-4.3L3.3 7.7a4.4 4.4 0 0 0 6.2 6.2l4-4" />
    </svg>
  );
}
