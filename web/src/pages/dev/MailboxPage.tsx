import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { Logo } from '../../components/icons';
import { EmptyState, ErrorState, Loading } from '../../components/states';
import { formatDateTime, formatRelative } from '../../lib/dates';
import { errorCode } from '../../lib/errors';
import { useQuery } from '../../lib/query';
import { currentOrg, signedIn } from '../../lib/session';
import { type RouterOutputs, trpc } from '../../lib/trpc';
import { AppShell } from '../shell/AppShell';
import { linkify } from './linkify';

type Mail = RouterOutputs['devMailbox']['list'][number];

/**
 * Demo only: mail the embedded SMTP sink caught (invites, password resets). Signed in only, and
 * each person sees only their own mail (an admin also their org's pending invites and port-in
 * requests): reset links are keys to accounts. Inside the app shell when in an organization.
 */
export function MailboxPage() {
  if (signedIn.value && currentOrg.value) {
    return (
      <AppShell>
        <Mailbox />
      </AppShell>
    );
  }
  return (
    <div class="standalone">
      <header class="welcome-header">
        <a href="/" class="auth-brand">
          <Logo size={32} />
          <span>CareText</span>
        </a>
        {!signedIn.value && <a href="/sign-in">Sign in</a>}
      </header>
      <div class="standalone-body">
        <Mailbox />
      </div>
    </div>
  );
}

function SignInFirst() {
  return (
    <div class="page">
      <section class="card section">
        <EmptyState title="Sign in to read your mail" testId="mailbox-sign-in">
          The dev mailbox shows each person only the email sent to them. Signing up? The confirmation email appears here in
          the browser you signed up from. Invited someone? Their invite appears in your
          mailbox while it is pending, so you can pass the link on. A password reset email is shown only to its recipient,
          signed in: on a demo server, use the demo sign-in printed in the server's log.
        </EmptyState>
      </section>
    </div>
  );
}

function Mailbox() {
  const [tick, setTick] = useState(0);
  const enabled = useQuery(() => trpc.devMailbox.enabled.query(), []);
  // Signed out, the server shows only the mail of a sign-up made in this browser (or refuses).
  const mails = useQuery(
    () =>
      enabled.data
        ? trpc.devMailbox.list.query({ limit: 100 }).catch((e: unknown) => {
            if (!signedIn.value && errorCode(e) === 'UNAUTHORIZED') return null;
            throw e;
          })
        : Promise.resolve([]),
    [enabled.data, tick],
  );
  const [openId, setOpenId] = useState<string | null>(null);
  const [clearing, setClearing] = useState(false);

  // Mail arrives a moment after the action that sends it; look again every few seconds.
  useEffect(() => {
    if (!enabled.data) return;
    const timer = setInterval(() => setTick((t) => t + 1), 3000);
    return () => clearInterval(timer);
  }, [enabled.data]);

  const open = mails.data?.find((m) => m.id === openId) ?? null;

  let body: ComponentChildren;
  if (enabled.loading || mails.loading) body = <Loading />;
  else if (enabled.error) body = <ErrorState message={enabled.error} onRetry={enabled.reload} />;
  else if (!enabled.data) {
    body = (
      <EmptyState title="The dev mailbox is off">
        This server sends real email through SMTP_URL, or its demo tools are off (DEMO_TOOLS), so there is nothing to show
        here.
      </EmptyState>
    );
  } else if (mails.error) body = <ErrorState message={mails.error} onRetry={mails.reload} />;
  else if (mails.data === null) return <SignInFirst />;
  else if (!mails.data?.length) {
    body = (
      <EmptyState title="No mail yet" testId="mailbox-empty">
        Email sent to you (and, for admins, invites to people who have not joined yet) appears here as soon as it is sent.
      </EmptyState>
    );
  } else {
    body = (
      <div class="mailbox">
        <ul class="mail-list" data-testid="mail-list">
          {mails.data.map((m) => (
            <li key={m.id}>
              <button type="button" class={`mail-item${m.id === openId ? ' active' : ''}`} onClick={() => setOpenId(m.id)} data-testid="mail-item">
                <span class="mail-subject">{m.subject}</span>
                <span class="mail-meta">
                  <span class="mail-to">To {m.to}</span>
                  <span>{formatRelative(m.createdAt)}</span>
                </span>
              </button>
            </li>
          ))}
        </ul>
        <div class="mail-reader">{open ? <MailView mail={open} /> : <EmptyState title="Select an email to read it" />}</div>
      </div>
    );
  }

  return (
    <div class="page">
      <header class="page-header">
        <div>
          <h1>Dev mailbox</h1>
          <p class="muted">Email this demo server would have sent to you. Nothing leaves this machine.</p>
        </div>
        {enabled.data && signedIn.value && Boolean(mails.data?.length) && (
          <button type="button" class="btn btn-secondary" onClick={() => setClearing(true)}>
            Clear mailbox
          </button>
        )}
      </header>
      <section class="card section">{body}</section>
      {clearing && (
        <ConfirmDialog
          title="Delete the emails you see in the dev mailbox?"
          confirmLabel="Clear mailbox"
          onClose={() => setClearing(false)}
          onConfirm={async () => {
            await trpc.devMailbox.clear.mutate();
            setOpenId(null);
            await mails.reload();
          }}
        >
          <p>Links in these emails keep working; you just won't see the emails here anymore.</p>
        </ConfirmDialog>
      )}
    </div>
  );
}

function MailView({ mail }: { mail: Mail }) {
  return (
    <article data-testid="mail-view">
      <h2 class="mail-title">{mail.subject}</h2>
      <dl class="mail-headers">
        <dt>From</dt>
        <dd>{mail.from}</dd>
        <dt>To</dt>
        <dd>{mail.to}</dd>
        <dt>Sent</dt>
        <dd>{formatDateTime(mail.createdAt)}</dd>
      </dl>
      <div class="mail-body" data-testid="mail-body">
        {linkify(mail.text).map((piece, i) =>
          piece.kind === 'link' ? (
            <a key={i} href={piece.href} data-testid="mail-link">
              {piece.href}
            </a>
          ) : (
            <span key={i}>{piece.text}</span>
          ),
        )}
      </div>
    </article>
  );
}
