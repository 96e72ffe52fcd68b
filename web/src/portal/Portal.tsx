import type { PortalAnswer, PortalConversation, PortalFile, PortalMessage } from '@caretext/shared';
import { useEffect, useRef, useState } from 'preact/hooks';
import { portalCall, portalUpload } from './api';
import { DobForm } from './DobForm';

type View = { state: 'loading' } | PortalAnswer;

/**
 * While the page is open and visible it asks every few seconds whether anything it shows
 * changed (a cheap version check); only then does it load the conversation again. So a new
 * message or a recall ("Message recalled") reaches the patient within seconds.
 */
export const POLL_MS = 4_000;

export function Portal({ token }: { token: string }) {
  const [view, setView] = useState<View>({ state: 'loading' });
  const [org, setOrg] = useState('');

  const show = (answer: PortalAnswer) => {
    if ('org' in answer && answer.org) setOrg(answer.org);
    setView(answer);
  };
  const loadConversation = async () => show(await portalCall('conversation', { token }));
  const open = async () => {
    if (!token) return show({ state: 'not_found' });
    const answer = await portalCall('open', { token });
    if (answer.state === 'verified') return loadConversation();
    show(answer);
  };

  useEffect(() => {
    void open();
  }, []);

  const shownVersion = useRef('');
  if (view.state === 'conversation') shownVersion.current = view.version;
  useEffect(() => {
    if (view.state !== 'conversation') return;
    let busy = false;
    const check = async () => {
      if (busy || document.visibilityState !== 'visible') return;
      busy = true;
      const answer = await portalCall('version', { token });
      if (answer.state === 'version') {
        if (answer.version !== shownVersion.current) await loadConversation();
      } else if (answer.state !== 'error' && answer.state !== 'invalid') show(answer); // replaced, expired, locked: say so
      busy = false;
    };
    const timer = setInterval(() => void check(), POLL_MS);
    const onVisible = () => void check();
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      clearInterval(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [view.state]);

  return (
    <div class="portal">
      <header class="portal-header">
        <span class="portal-logo" aria-hidden="true" />
        <div>
          <div class="portal-org" data-testid="portal-org">{org || 'Secure message'}</div>
          <div class="portal-sub">Secure messages</div>
        </div>
      </header>
      <main class="portal-main">{body(view, { token, org, show, open, loadConversation })}</main>
    </div>
  );
}

type Actions = { token: string; org: string; show(a: PortalAnswer): void; open(): Promise<void>; loadConversation(): Promise<void> };

function body(view: View, a: Actions) {
  const clinic = a.org || 'the clinic';
  switch (view.state) {
    case 'loading':
      return <p class="portal-muted">Loading…</p>;
    case 'verify':
    case 'wrong':
      return (
        <DobForm
          triesLeft={view.triesLeft}
          wrong={view.state === 'wrong'}
          onSubmit={async (dob) => {
            const answer = await portalCall('verify', { token: a.token, dob });
            if (answer.state === 'verified') return a.loadConversation();
            a.show(answer);
          }}
        />
      );
    case 'verified':
      void a.loadConversation();
      return <p class="portal-muted">Loading…</p>;
    case 'conversation':
      return <Conversation view={view} token={a.token} onAnswer={a.show} reload={a.loadConversation} />;
    case 'locked':
      return (
        <Notice testId="portal-locked" title="This link is locked for now">
          <p>The date of birth did not match 3 times, so we locked this link to protect your information.</p>
          <p>
            You can try again after <strong>{time(view.until)}</strong>, or ask {clinic} to send you a new link.
          </p>
        </Notice>
      );
    case 'too_many_tries':
      return (
        <Notice testId="portal-too-many" title="Too many tries">
          <p>There were too many tries from this network. Please try again after {time(view.until)}, or call the clinic.</p>
        </Notice>
      );
    case 'expired':
      return (
        <Notice testId="portal-expired" title="This link has expired">
          <p>For your security, links to secure messages work for a limited time. Ask {clinic} to resend the link: you will get a new one by text or email.</p>
        </Notice>
      );
    case 'replaced':
      return (
        <Notice testId="portal-replaced" title="A newer link was sent">
          <p>This link was replaced by a newer one. Open the most recent message from {clinic}, or ask them to resend the link.</p>
        </Notice>
      );
    case 'not_found':
      return (
        <Notice testId="portal-not-found" title="This link does not work">
          <p>Check that you opened the whole link from your text or email. If it still does not work, ask the clinic to send a new one.</p>
        </Notice>
      );
    default:
      return (
        <Notice testId="portal-error" title="Something went wrong">
          <p>{'message' in view ? view.message : 'Please try again.'}</p>
          <button type="button" class="portal-button" onClick={() => void a.open()}>
            Try again
          </button>
        </Notice>
      );
  }
}

function Notice({ title, testId, children }: { title: string; testId: string; children: preact.ComponentChildren }) {
  return (
    <section class="portal-card" data-testid={testId}>
      <h1>{title}</h1>
      {children}
    </section>
  );
}

function Conversation({ view, token, onAnswer, reload }: { view: PortalConversation; token: string; onAnswer(a: PortalAnswer): void; reload(): Promise<void> }) {
  const [text, setText] = useState('');
  const [sending, setSending] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [sent, setSent] = useState<PortalMessage[]>([]);
  const [files, setFiles] = useState<Draft[]>([]);
  const [recalled, setRecalled] = useState<string[]>([]);
  const picker = useRef<HTMLInputElement>(null);
  const shown = [...view.messages, ...sent.filter((m) => !view.messages.some((v) => v.id === m.id))].map((m) => (recalled.includes(m.id) ? { ...m, body: '', files: [], recalled: true } : m));
  const ready = files.filter((f) => f.file).map((f) => f.file!.id);
  const uploading = files.some((f) => !f.file && !f.error);

  const attach = (list: FileList | null) => {
    for (const file of Array.from(list ?? [])) {
      const key = `${Date.now()}${Math.random()}`;
      setFiles((all) => [...all, { key, name: file.name }]);
      void portalUpload(token, file).then((answer) => {
        const change = answer.state === 'uploaded' ? { file: answer.file, name: answer.file.fileName } : { error: reason(answer) ?? 'This file could not be added.' };
        setFiles((all) => all.map((f) => (f.key === key ? { ...f, ...change } : f)));
      });
    }
  };

  const recall = async (id: string) => {
    if (!confirm('Recall this message? The clinic will see "Message recalled" instead.')) return;
    const answer = await portalCall('recall', { token, messageId: id });
    if (answer.state === 'recalled') setRecalled((list) => [...list, id]);
    else setProblem(reason(answer) ?? 'The message could not be recalled.');
  };

  const send = async (event: Event) => {
    event.preventDefault();
    if ((!text.trim() && !ready.length) || sending || uploading) return;
    setSending(true);
    setProblem(null);
    const answer = await portalCall('reply', { token, body: text, attachmentIds: ready });
    setSending(false);
    if (answer.state === 'sent') {
      setSent((list) => [...list, answer.message]);
      setText('');
      setFiles([]);
    } else if (answer.state === 'invalid' || answer.state === 'error') setProblem(answer.message);
    else if (answer.state === 'replies_off') void reload();
    else onAnswer(answer);
  };

  return (
    <section class="portal-thread" data-testid="portal-conversation">
      {view.patientName && <p class="portal-hello">Hi {view.patientName}, here are your secure messages from {view.org}.</p>}
      {shown.length === 0 && <p class="portal-muted">No messages yet.</p>}
      <ol class="portal-messages">
        {shown.map((m) => (
          <li key={m.id} class={`portal-message portal-from-${m.from}`} data-testid="portal-message" data-recalled={m.recalled ? 'true' : undefined}>
            {m.recalled ? (
              <div class="portal-bubble portal-recalled" data-testid="portal-recalled">
                Message recalled
              </div>
            ) : (
              m.body && <div class="portal-bubble">{m.body}</div>
            )}
            {(m.files ?? []).map((f) => (
              <FileLink key={f.id} file={f} token={token} />
            ))}
            <div class="portal-meta">
              {m.from === 'clinic' ? (m.sender ?? view.org) : 'You'} · {time(m.at)}
              {m.from === 'patient' && !m.recalled && (
                <button type="button" class="portal-link" onClick={() => void recall(m.id)} data-testid="portal-recall">
                  Recall
                </button>
              )}
            </div>
          </li>
        ))}
      </ol>
      {view.repliesEnabled ? (
        <form class="portal-reply" onSubmit={send}>
          <label for="portal-reply-text" class="portal-label">
            Reply to {view.org}
          </label>
          <textarea id="portal-reply-text" rows={3} maxLength={5000} value={text} onInput={(e) => setText(e.currentTarget.value)} placeholder="Write a message" data-testid="portal-reply-text" />
          {files.length > 0 && (
            <ul class="portal-drafts" data-testid="portal-drafts">
              {files.map((f) => (
                <li key={f.key} data-testid="portal-draft">
                  <span>{f.name}</span> <span class="portal-muted">{f.error ? '' : f.file ? size(f.file.size) : 'Uploading…'}</span>
                  {f.error && (
                    <span class="portal-error" role="alert">
                      {' '}
                      {f.error}
                    </span>
                  )}
                  <button type="button" class="portal-link" onClick={() => setFiles((all) => all.filter((x) => x.key !== f.key))}>
                    Remove
                  </button>
                </li>
              ))}
            </ul>
          )}
          {problem && (
            <p class="portal-error" role="alert">
              {problem}
            </p>
          )}
          <input ref={picker} type="file" multiple hidden onChange={(e) => (attach(e.currentTarget.files), (e.currentTarget.value = ''))} data-testid="portal-attach-input" />
          <div class="portal-actions">
            <button type="button" class="portal-button portal-secondary" onClick={() => picker.current?.click()} data-testid="portal-attach">
              Attach a file
            </button>
            <button type="submit" class="portal-button" disabled={sending || uploading || (!text.trim() && !ready.length)} data-testid="portal-reply-send">
              {sending ? 'Sending…' : 'Send'}
            </button>
          </div>
        </form>
      ) : (
        <p class="portal-muted">Replies are turned off for this conversation. Call {view.org} if you have questions.</p>
      )}
    </section>
  );
}

/** The server's words for a refusal, when the answer has them. */
const reason = (a: PortalAnswer): string | null => ('message' in a && typeof a.message === 'string' ? a.message : null);

type Draft = { key: string; name: string; file?: PortalFile; error?: string };

/** A file of a message: an image shows as a picture; any file downloads through a short-lived link. */
function FileLink({ file, token }: { file: PortalFile; token: string }) {
  const [src, setSrc] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const image = file.contentType.startsWith('image/');
  const link = async () => {
    const answer = await portalCall('file', { token, attachmentId: file.id });
    if (answer.state === 'file') return answer.url;
    setProblem(answer.state === 'recalled' ? 'This file was recalled.' : reason(answer) ?? 'This file is not available.');
    return null;
  };
  useEffect(() => {
    if (image) void link().then(setSrc);
  }, [file.id]);
  const open = async (event: Event) => {
    event.preventDefault();
    const url = await link();
    if (url) location.assign(url);
  };
  return (
    <div class="portal-file" data-testid="portal-file">
      {image && src && <img src={src} alt={file.fileName} class="portal-image" />}
      <a href="#" onClick={open} data-testid="portal-file-link">
        {file.fileName}
      </a>{' '}
      <span class="portal-muted">{size(file.size)}</span>
      {problem && <span class="portal-error"> {problem}</span>}
    </div>
  );
}

function size(bytes: number): string {
  return bytes < 1024 * 1024 ? `${Math.max(1, Math.round(bytes / 1024))} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function time(at: Date | string): string {
  return new Date(at).toLocaleString(undefined, { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' });
}
