import { describeStatus, type StatusMessage, type StatusView } from '@caretext/shared';
import { formatSendTime } from '../../lib/dates';

export type { StatusView };

/** What a message's delivery status means to staff (shared with the sidebar), in the web's time format. */
export function messageStatus(m: StatusMessage, now: Date = new Date()): StatusView | null {
  return describeStatus(m, formatSendTime, now);
}
