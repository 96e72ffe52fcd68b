import { insertAt, TEMPLATE_TOKENS, unknownTokensMessage } from '@caretext/shared';

/** Clickable personalization tokens ({{first_name}}…) that go in at the cursor. */
export function TokenChips({ onInsert, disabled }: { onInsert: (token: string) => void; disabled?: boolean }) {
  return (
    <div class="token-chips" data-testid="token-chips">
      <span class="muted small">Personalize:</span>
      {TEMPLATE_TOKENS.map((t) => (
        <button
          key={t.key}
          type="button"
          class="token-chip"
          title={`${t.label}, e.g. ${t.example}`}
          disabled={disabled}
          onMouseDown={(e) => e.preventDefault() /* keep the textarea's cursor where it is */}
          onClick={() => onInsert(t.token)}
          data-testid={`token-${t.key}`}
        >
          {t.token}
        </button>
      ))}
    </div>
  );
}

/** Tokens the sender would leave in the text as typed, since nothing fills them in. */
export function UnknownTokensWarning({ text }: { text: string }) {
  const message = unknownTokensMessage(text);
  if (!message) return null;
  return (
    <p class="field-error" role="alert" data-testid="unknown-tokens">
      {message}
    </p>
  );
}

/**
 * Puts `token` into the textarea at its cursor (replacing any selection) and returns the new
 * text and where the cursor goes, so a controlled textarea can update both.
 */
export function insertAtCursor(textarea: HTMLTextAreaElement | null, current: string, token: string): { text: string; cursor: number } {
  return insertAt(current, textarea && { start: textarea.selectionStart, end: textarea.selectionEnd }, token);
}

/** Moves focus back to the textarea with the cursor at `cursor`, after Preact has rendered the new value. */
export function placeCursor(textarea: HTMLTextAreaElement | null, cursor: number): void {
  if (!textarea) return;
  requestAnimationFrame(() => {
    textarea.focus();
    textarea.setSelectionRange(cursor, cursor);
  });
}
