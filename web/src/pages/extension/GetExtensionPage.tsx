import { useEffect, useState } from 'preact/hooks';
import { ErrorState, Loading } from '../../components/states';
import { AppShell } from '../shell/AppShell';

type Info = { available: false } | { available: true; name: string; version: string; builtAt: string };

/**
 * How staff install the EHR sidebar: download the packaged extension from this server (or
 * build it from the repository), load it unpacked in Chrome, and sign in with this address.
 */
export function GetExtensionPage() {
  const [info, setInfo] = useState<Info | null>(null);
  const [error, setError] = useState<string | null>(null);
  const serverUrl = window.location.origin;

  useEffect(() => {
    fetch('/downloads/extension-info.json')
      .then((res) => (res.ok ? (res.json() as Promise<Info>) : Promise.reject(new Error(`HTTP ${res.status}`))))
      .then(setInfo, (e: Error) => setError(e.message));
  }, []);

  return (
    <AppShell>
      <div class="page" data-testid="get-extension">
        <header class="page-header">
          <div>
            <h1>Get the extension</h1>
            <p class="muted">The CareText sidebar inside your EHR: see the patient on screen, their messages, and text them without leaving the chart.</p>
          </div>
        </header>
        <div class="stack-lg">
          <section class="card section">
            <h2>1. Download</h2>
            {error && <ErrorState message={`Could not check the extension: ${error}`} />}
            {!error && !info && <Loading label="Checking the extension…" />}
            {info?.available === true && (
              <p>
                <a class="btn btn-primary" href="/downloads/caretext-extension.zip" download data-testid="download-extension">
                  Download CareText for Chrome (v{info.version})
                </a>{' '}
                <span class="muted">Built {new Date(info.builtAt).toLocaleString()}. Unzip it into a folder you keep.</span>
              </p>
            )}
            {info?.available === false && (
              <p class="muted" data-testid="extension-not-built">
                This server has no built extension to offer. Whoever runs it can build one with <code>pnpm build</code>; from the repository you can also load <code>extension/dist</code> directly.
              </p>
            )}
          </section>
          <section class="card section">
            <h2>2. Load it in Chrome</h2>
            <ol class="steps">
              <li>
                Open <code>chrome://extensions</code> in a new tab.
              </li>
              <li>Turn on <strong>Developer mode</strong> (top right).</li>
              <li>
                Click <strong>Load unpacked</strong> and choose the unzipped folder (the one with <code>manifest.json</code> in it).
              </li>
              <li>Pin CareText from the puzzle-piece menu so its icon stays in the toolbar.</li>
            </ol>
          </section>
          <section class="card section">
            <h2>3. Sign in</h2>
            <p>Click the CareText icon and sign in with your CareText email and password. As the server address, enter:</p>
            <p>
              <code class="copyable" data-testid="extension-server-url">{serverUrl}</code>{' '}
              <button type="button" class="btn btn-secondary" onClick={() => void navigator.clipboard?.writeText(serverUrl)}>
                Copy
              </button>
            </p>
            <p class="muted">
              Then open a patient in your EHR: the sidebar shows on the right edge (Alt+Shift+S shows or hides it). It reads the patient's name, date of birth, MRN and phone from the page; if your EHR is not recognized,
              an admin can describe its page under Settings → EHR adapters.
            </p>
          </section>
        </div>
      </div>
    </AppShell>
  );
}
