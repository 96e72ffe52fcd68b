import { useState } from 'preact/hooks';
import { errorMessage } from './errors';
import { notify } from './notices';

/**
 * A button's server call: busy while it runs, a notice when it is done or failed, then a
 * refresh of what it changed. `busy` disables the card's buttons so a double click acts once.
 */
export function useAction(onChanged: () => Promise<void>) {
  const [busy, setBusy] = useState(false);
  async function act(action: () => Promise<unknown>, done: string) {
    setBusy(true);
    try {
      await action();
      notify(done);
      await onChanged();
    } catch (error) {
      notify(errorMessage(error), 'error');
    } finally {
      setBusy(false);
    }
  }
  return { busy, act };
}
