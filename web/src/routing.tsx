import type { ComponentChildren } from 'preact';
import { useEffect } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { currentOrg, signedIn } from './lib/session';

export function Redirect({ to }: { to: string }) {
  const { route } = useLocation();
  useEffect(() => route(to, true), [to]);
  return null;
}

/** Only a local path may be a post-sign-in destination, never another site. */
export function safeNext(next: string | undefined, fallback = '/'): string {
  return next && next.startsWith('/') && !next.startsWith('//') ? next : fallback;
}

export function RequireSignedIn({ children }: { children: ComponentChildren }) {
  const { url } = useLocation();
  if (!signedIn.value) return <Redirect to={`/sign-in?next=${encodeURIComponent(url)}`} />;
  return <>{children}</>;
}

/** Signed in and inside an organization; otherwise on to sign in or to Welcome. */
export function RequireOrg({ children }: { children: ComponentChildren }) {
  const { url } = useLocation();
  if (!signedIn.value) return <Redirect to={`/sign-in?next=${encodeURIComponent(url)}`} />;
  if (!currentOrg.value) return <Redirect to="/welcome" />;
  return <>{children}</>;
}

/** Sign-in and sign-up pages send a signed-in person on to where they were going. */
export function GuestOnly({ children }: { children: ComponentChildren }) {
  const { query } = useLocation();
  if (signedIn.value) return <Redirect to={safeNext(query.next)} />;
  return <>{children}</>;
}

export function Home() {
  if (!signedIn.value) return <Redirect to="/sign-in" />;
  return <Redirect to={currentOrg.value ? '/inbox' : '/welcome'} />;
}
