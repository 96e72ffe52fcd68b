import { describe, expect, it } from 'vitest';
import { lowDelivery } from './blast-compose';

// The token menu and the counts are shared/src/blast-compose.ts's (its spec covers them).
describe('low delivery banner', () => {
  const stats = (sent: number, failed: number, skipped = 0) => ({ total: sent + failed + skipped, sent, failed, skipped, queued: 0 });
  it('shows for a completed blast under 90% sent of those attempted (skipped ones do not count)', () => {
    expect(lowDelivery('completed', stats(8, 2, 5))).toContain('Only 80% of messages were sent successfully (8 of 10)');
    expect(lowDelivery('completed', stats(9, 1, 50))).toBeNull();
    expect(lowDelivery('sending', stats(1, 9))).toBeNull();
    expect(lowDelivery('completed', stats(0, 0, 3))).toBeNull();
  });
});
