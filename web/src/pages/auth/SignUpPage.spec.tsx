import { TRPCClientError } from '@trpc/client';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/preact';
import { LocationProvider } from 'preact-iso';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { trpc } from '../../lib/trpc';
import { SignUpPage } from './SignUpPage';

vi.mock('../../lib/trpc', () => ({ trpc: { auth: { signUp: { mutate: vi.fn() }, me: { query: vi.fn(async () => null) } } } }));

const signUp = vi.mocked(trpc.auth.signUp.mutate);

function renderAt(url: string) {
  history.replaceState(null, '', url);
  return render(
    <LocationProvider>
      <SignUpPage />
    </LocationProvider>,
  );
}

function fill(id: string, value: string) {
  fireEvent.input(document.getElementById(id)!, { target: { value } });
}

beforeEach(() => {
  signUp.mockReset();
});
afterEach(cleanup);

describe('Sign up', () => {
  it('comes with the invited email prefilled and checks the form before asking the server', async () => {
    renderAt('/sign-up?email=sam%40clinic.example&next=%2Finvite%2Ftoken123%3Faccept%3D1');
    expect((document.getElementById('email') as HTMLInputElement).value).toBe('sam@clinic.example');

    fill('password', 'short');
    fireEvent.click(screen.getByTestId('sign-up-submit'));

    expect(await screen.findByTestId('error-name')).toHaveProperty('textContent', 'Enter your name');
    expect(screen.getByTestId('error-password').textContent).toBe('Use at least 10 characters');
    expect(screen.queryByTestId('error-email')).toBeNull();
    expect(signUp).not.toHaveBeenCalled();
  });

  it('sends once however often the button is pressed, and shows what the server said', async () => {
    let reject!: (e: unknown) => void;
    signUp.mockImplementation(() => new Promise((_, r) => (reject = r)) as never);
    renderAt('/sign-up');
    fill('name', 'Sam Okafor');
    fill('email', 'Sam@Clinic.Example');
    fill('password', 'a-long-password');

    const button = screen.getByTestId('sign-up-submit') as HTMLButtonElement;
    fireEvent.click(button);
    await waitFor(() => expect(button.disabled).toBe(true));
    expect(button.textContent).toBe('Creating account…');
    fireEvent.submit(screen.getByTestId('sign-up-form'));
    expect(signUp).toHaveBeenCalledTimes(1);
    expect(signUp).toHaveBeenCalledWith({ name: 'Sam Okafor', email: 'sam@clinic.example', password: 'a-long-password', client: 'web' });

    reject(
      TRPCClientError.from({
        error: { code: -32600, message: 'An account with this email already exists. Sign in instead.', data: { code: 'CONFLICT' } },
      }),
    );
    expect((await screen.findByTestId('form-error')).textContent).toBe('An account with this email already exists. Sign in instead.');
    expect(button.disabled).toBe(false);
  });

  it('asks the person to confirm by email, carrying where they were going (an invitation)', async () => {
    signUp.mockResolvedValue({ confirmationSent: true } as never);
    renderAt('/sign-up?email=sam%40clinic.example&next=%2Finvite%2Ftoken123');
    fill('name', 'Sam Okafor');
    fill('password', 'a-long-password');
    fireEvent.click(screen.getByTestId('sign-up-submit'));
    expect((await screen.findByTestId('sign-up-sent')).textContent).toContain('We sent a link to sam@clinic.example');
    expect(signUp).toHaveBeenCalledWith({ name: 'Sam Okafor', email: 'sam@clinic.example', password: 'a-long-password', next: '/invite/token123', client: 'web' });
  });

  it('never carries a link to another site', async () => {
    signUp.mockResolvedValue({ confirmationSent: true } as never);
    renderAt('/sign-up?next=%2F%2Fevil.example');
    fill('name', 'Sam Okafor');
    fill('email', 'sam@clinic.example');
    fill('password', 'a-long-password');
    fireEvent.click(screen.getByTestId('sign-up-submit'));
    await screen.findByTestId('sign-up-sent');
    expect(signUp.mock.calls[0]![0]).toMatchObject({ next: undefined });
  });
});
