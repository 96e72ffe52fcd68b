import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { errorCode, errorMessage } from './errors';
import { refreshSession } from './session';

const SESSION_CODES = new Set(['UNAUTHORIZED', 'FORBIDDEN', 'PRECONDITION_FAILED']);

export type QueryState<T> = {
  data: T | undefined;
  error: string | null;
  /** True only before the first answer; refetches keep showing the previous data. */
  loading: boolean;
  /** A request is out (the first one or a refetch): for a quiet "updating" hint. */
  fetching: boolean;
  reload: () => Promise<void>;
  /** Replaces the data with a fresher value a mutation returned; answers already on the way are dropped. */
  set: (value: T) => void;
};

/** Loads data for a component and reloads it when `deps` change (e.g. a live-update revision). */
export function useQuery<T>(load: () => Promise<T>, deps: readonly unknown[]): QueryState<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [fetching, setFetching] = useState(true);
  const latest = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  const reload = useCallback(async () => {
    const call = ++latest.current;
    setFetching(true);
    try {
      const value = await loadRef.current();
      if (call !== latest.current) return;
      setData(value);
      setError(null);
    } catch (e) {
      if (call !== latest.current) return;
      setError(errorMessage(e));
      // Signed out elsewhere, removed, or demoted: let the session catch up, and the routes with it.
      if (SESSION_CODES.has(errorCode(e) ?? '')) void refreshSession();
    } finally {
      if (call === latest.current) {
        setLoading(false);
        setFetching(false);
      }
    }
  }, []);

  const set = useCallback((value: T) => {
    latest.current++;
    setData(value);
    setError(null);
    setLoading(false);
    setFetching(false);
  }, []);

  useEffect(() => {
    void reload();
    // A component that unmounts mid-request must not get the late answer.
    return () => {
      latest.current++;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);

  return { data, error, loading: loading && data === undefined, fetching, reload, set };
}
