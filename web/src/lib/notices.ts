import { signal } from '@preact/signals';

export type Notice = { id: number; tone: 'success' | 'info' | 'error'; text: string };

/** Short confirmations ("Invite sent") shown in the corner; also the "you were removed" banner. */
export const notices = signal<Notice[]>([]);
let nextId = 1;

export function notify(text: string, tone: Notice['tone'] = 'success', ms = 5000): void {
  const notice = { id: nextId++, tone, text };
  notices.value = [...notices.value, notice];
  setTimeout(() => dismiss(notice.id), ms);
}

export function dismiss(id: number): void {
  notices.value = notices.value.filter((n) => n.id !== id);
}
