import { useEffect, useState } from 'preact/hooks';
import type { Answer } from '../protocol';
import { INSECURE_SERVER, isSecureServer, originPermission, serverOrigin, serverPermission } from '../server-address';
import type { SessionView } from '../views';

async function ask<T>(request: object): Promise<Answer<T>> {
  return (await chrome.runtime.sendMessage(request)) as Answer<T>;
}

/** Sign in (server address, email, password) and, once in, the organization and sign out. */
export function Popup() {
  const [session, setSession] = useState<SessionView | null>(null);
  const [serverUrl, setServerUrl] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const apply = (a: Answer<SessionView>) => {
    if (!a.ok) return setError(a.error.message);
    setError(null);
    setSession(a.value);
    if (a.value.serverUrl) setServerUrl(a.value.serverUrl);
    if (a.value.email) setEmail(a.value.email);
  };

  useEffect(() => {
    void ask<SessionView>({ type: 'session.get' }).then(apply);
  }, []);

  async function run(request: object) {
    setBusy(true);
    apply(await ask<SessionView>(request));
    setBusy(false);
  }

  if (!session) return <main class="popup" />;

  if (session.signedIn) {
    return (
      <main class="popup" data-testid="popup-signed-in">
        <Brand />
        <p>
          Signed in as <strong>{session.user?.name}</strong>
          <br />
          <span class="muted">{session.user?.email}</span>
        </p>
        {session.orgs.length > 1 ? (
          <label class="field">
            <span>Organization</span>
            <select value={session.org?.id ?? ''} onChange={(e) => void run({ type: 'session.switchOrg', orgId: e.currentTarget.value })} disabled={busy} data-testid="popup-org">
              {session.orgs.map((o) => (
                <option key={o.id} value={o.id}>
                  {o.name}
                </option>
              ))}
            </select>
          </label>
        ) : (
          <p data-testid="popup-org-name">{session.org ? session.org.name : 'No organization yet: create or join one in the web app.'}</p>
        )}
        <p class="muted small">Open a patient in your EHR: the CareText sidebar appears on the right (Alt+Shift+S shows or hides it).</p>
        <EhrSites origins={session.ehrOrigins} />
        {!session.online && <p class="note">CareText is unreachable right now.</p>}
        {session.pendingOutbox > 0 && <p class="note">{session.pendingOutbox} message(s) wait in the outbox. Signing out discards them.</p>}
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <div class="row">
          <a href={session.serverUrl ?? '#'} target="_blank" rel="noreferrer">
            Open CareText
          </a>
          <button type="button" onClick={() => void run({ type: 'session.signOut' })} disabled={busy} data-testid="popup-sign-out">
            Sign out
          </button>
        </div>
      </main>
    );
  }

  return (
    <main class="popup">
      <Brand />
      <form
        onSubmit={(e) => {
          e.preventDefault();
          const origin = serverOrigin(serverUrl);
          if (!origin) return setError('Enter the CareText server address, e.g. https://caretext.yourclinic.org');
          if (!isSecureServer(origin)) return setError(INSECURE_SERVER);
          // Host access to the server, asked for now (this click is the user gesture Chrome
          // requires); the extension reaches no site it was not granted.
          void chrome.permissions.request({ origins: [serverPermission(origin)] }).then(
            (granted) => {
              if (!granted) return setError(`CareText needs access to ${origin} to sign in. Click Sign in and choose Allow.`);
              void run({ type: 'session.signIn', serverUrl: origin, email, password }).then(() => setPassword(''));
            },
            (error: unknown) => setError(String(error)),
          );
        }}
      >
        <label class="field">
          <span>CareText server</span>
          <input type="url" required placeholder="https://caretext.yourclinic.org" value={serverUrl} onInput={(e) => setServerUrl(e.currentTarget.value)} data-testid="popup-server-url" />
        </label>
        <label class="field">
          <span>Email</span>
          <input type="email" required autocomplete="username" value={email} onInput={(e) => setEmail(e.currentTarget.value)} data-testid="popup-email" />
        </label>
        <label class="field">
          <span>Password</span>
          <input type="password" required autocomplete="current-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} data-testid="popup-password" />
        </label>
        {error && (
          <p class="error" role="alert" data-testid="popup-error">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy} data-testid="popup-sign-in">
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <p class="muted small">Your session stays in this browser's extension storage; web pages never see it.</p>
    </main>
  );
}

function Brand() {
  return (
    <h1 class="brand">
      <svg width="22" height="22" viewBox="0 0 32 32" aria-hidden="true">
        <rect width="32" height="32" rx="8" fill="#6d28d9" />
        <path d="M9 11h14v8h-8l-4 3v-3H9z" fill="#fff" />
      </svg>
      CareText
    </h1>
  );
}

/**
 * The EHR sites the organization's admins approved, and whether this browser lets CareText read
 * them. Chrome asks the user on this click (optional_host_permissions); the background then
 * registers the content script there. Pages open before the grant show the sidebar once reloaded.
 */
function EhrSites({ origins }: { origins: string[] }) {
  const [granted, setGranted] = useState<Record<string, boolean>>({});
  const [error, setError] = useState<string | null>(null);
  const check = async () => {
    const entries = await Promise.all(origins.map(async (o) => [o, await chrome.permissions.contains({ origins: [originPermission(o)] })] as const));
    setGranted(Object.fromEntries(entries));
  };
  useEffect(() => {
    void check();
  }, [origins.join('\n')]);

  if (!origins.length) {
    return (
      <p class="note" data-testid="popup-no-origins">
        Your organization has approved no EHR site yet: an admin adds it in CareText under Settings → EHR adapters → Approved EHR origins.
      </p>
    );
  }
  const missing = origins.filter((o) => granted[o] === false);
  const allow = () => {
    setError(null);
    // Called straight from the click: Chrome shows its permission prompt only on a user gesture.
    chrome.permissions.request({ origins: [...new Set(missing.map(originPermission))] }).then(
      (ok) => {
        if (!ok) setError('Not allowed: the sidebar stays off these sites.');
        void check();
      },
      (e: unknown) => setError(String(e)),
    );
  };
  return (
    <section class="sites" data-testid="popup-origins">
      <p class="small">
        <strong>EHR sites</strong> approved by your organization:
      </p>
      <ul>
        {origins.map((o) => (
          <li key={o} data-testid="popup-origin">
            <code>{o}</code> <span class={granted[o] ? 'ok' : 'muted'}>{granted[o] ? 'allowed' : 'not allowed yet'}</span>
          </li>
        ))}
      </ul>
      {missing.length > 0 && (
        <button type="button" class="primary" onClick={allow} data-testid="popup-allow-origins">
          Allow CareText on {missing.length === 1 ? 'this site' : 'these sites'}
        </button>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
