import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

type ModalProps = {
  title: string;
  children: ComponentChildren;
  /** Buttons at the bottom, safest first. */
  actions?: ComponentChildren;
  onClose: () => void;
  /** While something is in flight the dialog cannot be dismissed. */
  busy?: boolean;
  wide?: boolean;
  testId?: string;
};

/**
 * A dialog with a title, body and actions. Escape and a click outside close it; focus moves
 * into it when it opens (the first element marked `data-autofocus`, else the dialog itself).
 */
export function Modal({ title, children, actions, onClose, busy = false, wide = false, testId }: ModalProps) {
  const ref = useRef<HTMLDivElement>(null);
  const closeRef = useRef(onClose);
  closeRef.current = onClose;
  const busyRef = useRef(busy);
  busyRef.current = busy;

  useEffect(() => {
    const target = ref.current?.querySelector<HTMLElement>('[data-autofocus]') ?? ref.current;
    target?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && !busyRef.current) closeRef.current();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);

  return (
    <div class="modal-backdrop" onClick={(e) => e.target === e.currentTarget && !busy && onClose()}>
      <div class={`modal${wide ? ' modal-wide' : ''}`} role="dialog" aria-modal="true" aria-labelledby="modal-title" tabIndex={-1} ref={ref} data-testid={testId}>
        <h2 id="modal-title">{title}</h2>
        <div class="modal-body">{children}</div>
        {actions && <div class="modal-actions">{actions}</div>}
      </div>
    </div>
  );
}
