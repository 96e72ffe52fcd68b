import { ATTACHMENT_MAX_BYTES } from '../views';

/** A file in the sidebar's composer: uploading, ready to send (its id), or refused (why, in plain words). */
export type DraftFile = { key: string; name: string; size: number; status: 'uploading' | 'ready' | 'error'; id?: string; error?: string };

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** Refused before reading it: the sidebar never moves more than the limit to the background. */
export function tooLarge(size: number): string {
  return `This file is ${formatSize(size)}; the largest you can attach is ${Math.round(ATTACHMENT_MAX_BYTES / 1024 / 1024)} MB. Send a smaller file.`;
}

/** The file's bytes as base64 (chrome messaging carries JSON only). */
export function readAsBase64(file: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => {
      const url = String(reader.result ?? '');
      resolve(url.slice(url.indexOf(',') + 1));
    };
    reader.onerror = () => reject(reader.error ?? new Error('unreadable'));
    reader.readAsDataURL(file);
  });
}

/** The composer's files: name, size, uploading or why it was refused, and Remove. */
export function DraftFiles({ files, onRemove, disabled }: { files: DraftFile[]; onRemove(key: string): void; disabled: boolean }) {
  if (!files.length) return null;
  return (
    <ul class="draft-files" data-testid="draft-files">
      {files.map((f) => (
        <li key={f.key} class={`draft-file ${f.status}`} data-testid="draft-file" data-status={f.status}>
          <span class="draft-file-name" title={f.name}>
            📄 {f.name}
          </span>
          <span class="small muted">{formatSize(f.size)}</span>
          <button type="button" class="btn small" onClick={() => onRemove(f.key)} disabled={disabled} aria-label={`Remove ${f.name}`} data-testid="draft-file-remove">
            Remove
          </button>
          {f.status === 'uploading' && <progress class="draft-file-progress" aria-label={`Uploading ${f.name}`} data-testid="draft-file-progress" />}
          {f.status === 'error' && (
            <span class="draft-file-error small" role="alert" data-testid="draft-file-error">
              {f.error}
            </span>
          )}
        </li>
      ))}
    </ul>
  );
}
