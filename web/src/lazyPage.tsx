import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ErrorState, Loading } from './components/states';

/** A page component whose code is a separate chunk, fetched the first time the page is shown. */
export type LazyPage<P> = ComponentType<P> & { preload: () => Promise<unknown> };

/**
 * Splits the app by route: each page's code (and what only it uses, e.g. the phone metadata
 * of the import screens) loads when the page is first visited, so sign-in and the Inbox do
 * not download Settings and the Directory. While the chunk loads the page shows Loading; if it
 * fails (offline, or CareText was redeployed and the old chunk is gone) it says so and offers
 * to try again or to reload, which fetches the current index.html and its chunks.
 */
export function lazyPage<P extends object>(
  load: () => Promise<ComponentType<P>>,
  { reload = () => location.reload(), inline = false }: { reload?: () => void; inline?: boolean } = {},
): LazyPage<P> {
  // A page fills the window while it loads; `inline` (a dialog opened from a page) stays in place.
  const frame = inline ? 'lazy-inline' : 'fullpage';
  let loaded: ComponentType<P> | null = null;
  let pending: Promise<ComponentType<P>> | null = null;
  const start = () =>
    (pending ??= load().then(
      (component) => (loaded = component),
      (error: unknown) => {
        pending = null; // the next attempt fetches again
        throw error;
      },
    ));

  function Lazy(props: P) {
    const [attempt, setAttempt] = useState(0);
    const [state, setState] = useState<'loading' | 'ready' | 'failed'>(loaded ? 'ready' : 'loading');
    useEffect(() => {
      if (loaded) return;
      let live = true;
      start().then(
        () => live && setState('ready'),
        () => live && setState('failed'),
      );
      return () => {
        live = false;
      };
    }, [attempt]);
    if (loaded) {
      const Page = loaded;
      return <Page {...props} />;
    }
    if (state === 'failed') {
      return (
        <div class={frame} data-testid="page-load-failed">
          <div>
            <ErrorState
              title="This page couldn't load"
              message="Check your connection and try again. If CareText was just updated, reload the page to get the new version."
              onRetry={() => {
                setState('loading');
                setAttempt((n) => n + 1);
              }}
            />
            <p class="state">
              <button type="button" class="btn btn-secondary" onClick={reload}>
                Reload page
              </button>
            </p>
          </div>
        </div>
      );
    }
    return (
      <div class={frame}>
        <Loading />
      </div>
    );
  }
  return Object.assign(Lazy, { preload: start });
}
