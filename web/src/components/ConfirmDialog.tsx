import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { useSubmit } from '../lib/form';
import { FormError } from './Field';

type ConfirmDialogProps = {
  title: string;
  children: ComponentChildren;
  confirmLabel: string;
  /** Danger actions (remove, delete) get a red button. */
  tone?: 'danger' | 'primary';
  onConfirm: () => Promise<unknown>;
  onClose: () => void;
};

/** Asks before an action that is hard to undo; stays open with the error if the action fails. */
export function ConfirmDialog({ title, children, confirmLabel, tone = 'danger', onConfirm, onClose }: ConfirmDialogProps) {
  const { pending, formError, run } = useSubmit();
  const cancelRef = useRef<HTMLButtonElement>(null);
  const closeRef = useRef(onClose);
  closeRef.current = onClose;

  // Focus the safe choice once, when the dialog opens; Escape cancels.
  useEffect(() => {
    cancelRef.current?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') closeRef.current();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);

  async function confirm() {
    const result = await run(onConfirm);
    if (result.ok) onClose();
  }

  return (
    <div class="modal-backdrop" onClick={(e) => e.target === e.currentTarget && !pending && onClose()}>
      <div class="modal" role="dialog" aria-modal="true" aria-labelledby="confirm-title" data-testid="confirm-dialog">
        <h2 id="confirm-title">{title}</h2>
        <div class="modal-body">{children}</div>
        <FormError message={formError} />
        <div class="modal-actions">
          <button type="button" class="btn btn-secondary" ref={cancelRef} onClick={onClose} disabled={pending}>
            Cancel
          </button>
          <button
            type="button"
            class={`btn ${tone === 'danger' ? 'btn-danger' : 'btn-primary'}`}
            onClick={confirm}
            disabled={pending}
            data-testid="confirm-button"
          >
            {pending ? `${confirmLabel}…` : confirmLabel}
          </button>
        </div>
      </div>
    </div>
  );
}
