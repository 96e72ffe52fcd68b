import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/preact';
import { LocationProvider, Route, Router } from 'preact-iso';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { session } from '../../lib/session';
import { trpc } from '../../lib/trpc';
import { GetStartedPage } from './GetStartedPage';

vi.mock('../../lib/trpc', () => ({
  trpc: {
    external: { info: { query: vi.fn() }, setUp: { mutate: vi.fn() }, accept: { mutate: vi.fn() } },
    auth: { me: { query: vi.fn(async () => null) } },
    orgs: { current: { query: vi.fn() } },
  },
}));
const api = vi.mocked(trpc, { deep: true });

const invitation = { orgName: 'Lakeside Clinic', invitedBy: 'Lena Park', email: 'ravi@partner.example', hasAccount: false, expired: false, accepted: false };

function renderAt(url: string) {
  history.replaceState(null, '', url);
  return render(
    <LocationProvider>
      <Router>
        <Route path="/external/:token" component={GetStartedPage} />
        <Route default component={() => <p data-testid="landed">{location.pathname}</p>} />
      </Router>
    </LocationProvider>,
  );
}

beforeEach(() => {
  vi.clearAllMocks();
  session.value = { status: 'ready', me: null, org: null };
});
afterEach(cleanup);

describe('Get started (an external collaborator’s invitation)', () => {
  it('a short setup (name, password) and then the conversation', async () => {
    api.external.info.query.mockResolvedValue(invitation as never);
    api.external.setUp.mutate.mockResolvedValue({ conversationId: 'c42', token: null, expiresAt: new Date() } as never);
    renderAt('/external/tok-0123456789');
    await screen.findByTestId('get-started-form');
    expect(screen.getByTestId('get-started-org').textContent).toBe('Lakeside Clinic');
    expect((document.getElementById('email') as HTMLInputElement).value).toBe('ravi@partner.example');
    fireEvent.click(screen.getByTestId('get-started-submit'));
    expect(await screen.findByTestId('error-name')).toHaveProperty('textContent', 'Enter your name');
    expect(api.external.setUp.mutate).not.toHaveBeenCalled();
    fireEvent.input(document.getElementById('name')!, { target: { value: 'Dr Ravi Shah' } });
    fireEvent.input(document.getElementById('password')!, { target: { value: 'correct horse battery' } });
    fireEvent.click(screen.getByTestId('get-started-submit'));
    await waitFor(() => expect(screen.getByTestId('landed').textContent).toBe('/inbox/c42'));
    expect(api.external.setUp.mutate).toHaveBeenCalledWith({ token: 'tok-0123456789', name: 'Dr Ravi Shah', password: 'correct horse battery', client: 'web' });
  });

  it('an address with an account signs in and comes back here', async () => {
    api.external.info.query.mockResolvedValue({ ...invitation, hasAccount: true } as never);
    renderAt('/external/tok-0123456789');
    const signIn = await screen.findByTestId('get-started-sign-in');
    expect(signIn.getAttribute('href')).toBe('/sign-in?email=ravi%40partner.example&next=%2Fexternal%2Ftok-0123456789');
    expect(screen.queryByTestId('get-started-form')).toBeNull();
  });

  it('expired, used and broken links say so and offer no form', async () => {
    api.external.info.query.mockResolvedValue({ ...invitation, expired: true } as never);
    renderAt('/external/tok-0123456789');
    expect((await screen.findByTestId('get-started-expired')).textContent).toContain('Ask Lena Park to send you a new message');
    cleanup();
    api.external.info.query.mockResolvedValue({ ...invitation, accepted: true } as never);
    renderAt('/external/tok-0123456789');
    await screen.findByTestId('get-started-used');
    cleanup();
    renderAt('/external/short');
    await screen.findByText(/This invitation link is not valid/);
    expect(api.external.info.query).toHaveBeenCalledTimes(2);
  });
});
