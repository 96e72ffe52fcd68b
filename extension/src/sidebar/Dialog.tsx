import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

/** A modal inside the shadow root: Escape or the backdrop closes it; focus starts on `data-autofocus`. */
export function Dialog({ title, onClose, actions, children, testId }: { title: string; onClose(): void; actions: ComponentChildren; children: ComponentChildren; testId: string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    (box.current?.querySelector('[data-autofocus]') as HTMLElement | null)?.focus();
  }, []);
  return (
    <div class="backdrop" onClick={(e) => e.target === e.currentTarget && onClose()} onKeyDown={(e) => e.key === 'Escape' && onClose()}>
      <div class="dialog" role="dialog" aria-modal="true" aria-label={title} ref={box} data-testid={testId}>
        <h3>{title}</h3>
        {children}
        <div class="actions">{actions}</div>
      </div>
    </div>
  );
}
