import { TEMPLATE_TOKENS, unknownTokens } from '@caretext/shared';

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
  const unknown = unknownTokens(text);
  if (!unknown.length) return null;
  return (
    <p class="field-error" role="alert" data-testid="unknown-tokens">
      {unknown.length === 1 ? 'Unknown token' : 'Unknown tokens'} {unknown.join(', ')}: {unknown.length === 1 ? 'it' : 'they'} would be sent as written. Use one of the Personalize tokens.
    </p>
  );
}

/**
 * Puts `token` into the textarea at its cursor (replacing any selection) and returns the new
 * text and where the cursor goes, so a controlled textarea can update both.
 */
export function insertAtCursor(textarea: HTMLTextAreaElement | null, current: string, token: string): { text: string; cursor: number } {
  const start = textarea?.selectionStart ?? current.length;
  const end = textarea?.selectionEnd ?? current.length;
  const before = current.slice(0, start);
  const spaced = before && !/\s$/.test(before) ? ` ${token}` : token;
  return { text: before + spaced + current.slice(end), cursor: start + spaced.length };
}

/** Moves focus back to the textarea with the cursor at `cursor`, after Preact has rendered the new value. */
export function placeCursor(textarea: HTMLTextAreaElement | null, cursor: number): void {
  if (!textarea) return;
  requestAnimationFrame(() => {
    textarea.focus();
    textarea.setSelectionRange(cursor, cursor);
  });
}
