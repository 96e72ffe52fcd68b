import { useEffect, useRef } from 'preact/hooks';
import type { Push } from '../protocol';
import { listen } from './bridge';

const handlers = new Set<(push: Push) => void>();
let stop: (() => void) | null = null;

/** One port to the background for the whole sidebar; components subscribe to what it pushes. */
export function usePush(handler: (push: Push) => void): void {
  const latest = useRef(handler);
  latest.current = handler;
  useEffect(() => {
    const h = (push: Push) => latest.current(push);
    handlers.add(h);
    stop ??= listen((push) => handlers.forEach((fn) => fn(push)));
    return () => {
      handlers.delete(h);
      if (handlers.size === 0) {
        stop?.();
        stop = null;
      }
    };
  }, []);
}
