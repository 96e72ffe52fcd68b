import { cleanup, render, screen } from '@testing-library/preact';
import { LocationProvider } from 'preact-iso';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { sessionEndedHook } from '../../lib/session-ended';
import { session, signedOutNotice } from '../../lib/session';
import { SignInPage } from './SignInPage';

vi.mock('../../lib/trpc', () => ({ trpc: { auth: { signIn: { mutate: vi.fn() }, me: { query: vi.fn(async () => null) } } } }));

afterEach(() => {
  cleanup();
  signedOutNotice.value = null;
});

const me = { user: { id: 'u1', email: 'sam@clinic.example', name: 'Sam' }, activeOrgId: 'o1', orgs: [] };

describe('signed out after inactivity', () => {
  it('signs the person out at once and tells them why on the sign-in page', async () => {
    session.value = { status: 'ready', me, org: null };
    sessionEndedHook.current('idle', 'You were signed out after 30 minutes of inactivity. Sign in again to continue.');
    expect(session.value).toEqual({ status: 'ready', me: null, org: null });
    history.replaceState(null, '', '/sign-in?next=%2Finbox%2Fc1');
    render(
      <LocationProvider>
        <SignInPage />
      </LocationProvider>,
    );
    expect((await screen.findByTestId('signed-out-notice')).textContent).toContain('30 minutes of inactivity');
  });

  it('says nothing for an ordinary sign-out', () => {
    session.value = { status: 'ready', me, org: null };
    sessionEndedHook.current('signed_out', 'Please sign in.');
    expect(signedOutNotice.value).toBeNull();
  });
});
