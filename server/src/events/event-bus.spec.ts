import { describe, expect, it } from 'vitest';
import { EventBus } from './event-bus.js';

describe('EventBus.subscribe', () => {
  it('keeps what is published between the call and the first next() (a subscription checking access first misses nothing)', async () => {
    const bus = new EventBus();
    const stream = bus.subscribe('org-1');
    bus.publish('org-1', { type: 'teams.changed' });
    bus.publish('org-2', { type: 'org.changed' });
    bus.publish('org-1', { type: 'members.changed' });
    expect(await stream.next()).toEqual({ done: false, value: { type: 'teams.changed' } });
    expect(await stream.next()).toEqual({ done: false, value: { type: 'members.changed' } });
    await stream.return!();
    expect(await stream.next()).toMatchObject({ done: true });
  });

  it('ends on abort', async () => {
    const bus = new EventBus();
    const abort = new AbortController();
    const stream = bus.subscribe('org-1', abort.signal);
    abort.abort();
    await expect(stream.next()).rejects.toThrow(/abort/i);
  });
});
