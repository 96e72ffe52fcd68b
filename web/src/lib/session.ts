import { computed, signal } from '@preact/signals';
import { errorMessage } from './errors';
import { sessionEndedHook } from './session-ended';
import { type RouterOutputs, trpc } from './trpc';

export type Me = NonNullable<RouterOutputs['auth']['me']>;
export type CurrentOrg = RouterOutputs['orgs']['current'];

export type Session =
  | { status: 'loading' }
  | { status: 'error'; message: string }
  | { status: 'ready'; me: Me | null; org: CurrentOrg | null };

export const session = signal<Session>({ status: 'loading' });

export const signedIn = computed(() => (session.value.status === 'ready' ? session.value.me : null));
export const currentOrg = computed(() => (session.value.status === 'ready' ? session.value.org : null));
export const isAdmin = computed(() => {
  const role = currentOrg.value?.myRole;
  return role === 'owner' || role === 'admin';
});

/** Who is signed in and in which organization; called at start and after anything that changes it. */
export async function refreshSession(): Promise<void> {
  try {
    const me = await trpc.auth.me.query();
    const org = me?.activeOrgId ? await trpc.orgs.current.query() : null;
    session.value = { status: 'ready', me, org };
  } catch (error) {
    // Keep showing the app if we already had a session; a blip should not blank the page.
    if (session.value.status !== 'ready') session.value = { status: 'error', message: errorMessage(error) };
  }
}

/**
 * Why the person was signed out without asking ("…after 30 minutes of inactivity"): shown on
 * the sign-in page, which then returns them to where they were (the routes pass ?next=).
 */
export const signedOutNotice = signal<string | null>(null);

sessionEndedHook.current = (reason, message) => {
  if (reason === 'signed_out') return; // their own sign-out (or another tab's): nothing to explain
  if (session.value.status !== 'ready' || !session.value.me) return;
  signedOutNotice.value = message;
  // Signed out at once: the protected routes redirect to sign-in and no patient data stays on screen.
  session.value = { status: 'ready', me: null, org: null };
};

export async function signOut(): Promise<void> {
  try {
    await trpc.auth.signOut.mutate();
  } finally {
    session.value = { status: 'ready', me: null, org: null };
  }
}

/** Shown on Welcome after the person lost access to an organization ("You were removed from …"). */
export const welcomeNotice = signal<string | null>(null);

/**
 * Set while the person leaves an organization themselves, so the access.revoked event their
 * own leaving causes does not read as "you were removed".
 */
export const leaving = { current: false };
