import type { ComponentChildren } from 'preact';

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div class="state state-loading" role="status" data-testid="loading">
      <span class="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}

export function EmptyState({ title, children, testId }: { title: string; children?: ComponentChildren; testId?: string }) {
  return (
    <div class="state state-empty" data-testid={testId ?? 'empty'}>
      <p class="state-title">{title}</p>
      {children && <div class="state-body">{children}</div>}
    </div>
  );
}

export function ErrorState({ title = "Couldn't load this", message, onRetry }: { title?: string; message: string; onRetry?: () => void }) {
  return (
    <div class="state state-error" role="alert" data-testid="error-state">
      <p class="state-title">{title}</p>
      <p class="state-body">{message}</p>
      {onRetry && (
        <button type="button" class="btn btn-secondary" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}
