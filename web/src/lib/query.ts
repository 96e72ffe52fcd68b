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
  /**
   * Applies a change (a live event) to the data shown, and to the answer of a load still on its
   * way (which may have been read before the change), so nothing is re-read for it.
   */
  patch: (change: (data: T) => T) => void;
};

/** Loads data for a component and reloads it when `deps` change (e.g. a live-update revision). */
export function useQuery<T>(load: () => Promise<T>, deps: readonly unknown[]): QueryState<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [fetching, setFetching] = useState(true);
  const latest = useRef(0);
  /** Changes seen while the newest load is out (null: none is), applied to its answer. */
  const sinceLoad = useRef<((data: T) => T)[] | null>(null);
  const loadRef = useRef(load);
  loadRef.current = load;

  const reload = useCallback(async () => {
    const call = ++latest.current;
    sinceLoad.current = [];
    setFetching(true);
    try {
      const value: T = await loadRef.current();
      if (call !== latest.current) return;
      setData((sinceLoad.current ?? []).reduce<T>((data, change) => change(data), value));
      setError(null);
    } catch (e) {
      if (call !== latest.current) return;
      setError(errorMessage(e));
      // Signed out elsewhere, removed, or demoted: let the session catch up, and the routes with it.
      if (SESSION_CODES.has(errorCode(e) ?? '')) void refreshSession();
    } finally {
      if (call === latest.current) {
        sinceLoad.current = null;
        setLoading(false);
        setFetching(false);
      }
    }
  }, []);

  const set = useCallback((value: T) => {
    latest.current++;
    sinceLoad.current = null;
    setData(value);
    setError(null);
    setLoading(false);
    setFetching(false);
  }, []);

  const patch = useCallback((change: (data: T) => T) => {
    sinceLoad.current?.push(change);
    setData((data) => (data === undefined ? data : change(data)));
  }, []);

  useEffect(() => {
    void reload();
    // A component that unmounts mid-request must not get the late answer.
    return () => {
      latest.current++;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);

  return { data, error, loading: loading && data === undefined, fetching, reload, set, patch };
}
