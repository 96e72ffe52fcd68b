import { ATTACHMENT_MAX_BYTES } from '../views';

/** A file in the sidebar's composer: uploading, ready to send (its id), or refused (why, in plain words). */
export type DraftFile = { key: string; name: string; size: number; status: 'uploading' | 'ready' | 'error'; id?: string; error?: string };

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** Refused before reading it: the sidebar never moves more than the limit to the background. */
export function tooLarge(): string {
  return `This file is too large: the largest you can attach is ${Math.round(ATTACHMENT_MAX_BYTES / 1024 / 1024)} MB. Send a smaller file.`;
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
            <FileIcon /> {f.name}
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

/** Drawn, not an emoji: Chromium without an emoji font would show a box. */
export function FileIcon() {
  return (
    <svg class="file-icon" width="12" height="12" viewBox="0 0 16 16" aria-hidden="true" focusable="false">
      <path fill="currentColor" d="M4 1h5.5L13 4.5V14a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1V2a1 1 0 0 1 1-1zm5 1.5V5h2.5L9 2.5zM5 8h6v1H5V8zm0 2.5h6v1H5v-1z" />
    </svg>
  );
}

export function PaperclipIcon() {
  return (
    <svg width="13" height="13" viewBox="0 0 16 16" aria-hidden="true" focusable="false">
      <path fill="none" stroke="currentColor" stroke-width="1.4" stroke-linecap="round" d="M10.5 4.5 5.2 9.8a1.6 1.6 0 0 0 2.3 2.3l5.6-5.6a3 3 0 0 0-4.3-4.3L3.3 7.7a4.4 4.4 0 0 0 6.2 6.2l4-4" />
    </svg>
  );
}
