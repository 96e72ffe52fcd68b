import { dismiss, notices } from '../lib/notices';

export function Notices() {
  return (
    <div class="notices" aria-live="polite">
      {notices.value.map((n) => (
        <div key={n.id} class={`notice notice-${n.tone}`} data-testid="notice">
          <span>{n.text}</span>
          <button type="button" class="notice-close" aria-label="Dismiss" onClick={() => dismiss(n.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
