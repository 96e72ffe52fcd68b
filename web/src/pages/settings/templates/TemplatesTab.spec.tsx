import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/preact';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { session } from '../../../lib/session';
import { trpc } from '../../../lib/trpc';
import { TemplatesTab } from './TemplatesTab';

const reminder = { id: 't1', name: 'Reminder', body: 'See you Tuesday at 9:30.', requestsConfirmation: true, team: null, updatedAt: new Date('2026-04-01T00:00:00Z') };

vi.mock('../../../lib/trpc', () => ({
  trpc: {
    templates: { list: { query: vi.fn(async () => [reminder]) }, save: { mutate: vi.fn(async () => ({ id: 't1' })) } },
    teams: { list: { query: vi.fn(async () => []) } },
  },
}));

afterEach(cleanup);

describe('Settings → Templates: asking the patient to confirm', () => {
  it('shows which templates ask, and saves the box as ticked or not', async () => {
    session.value = { status: 'ready', me: null, org: { myRole: 'admin', name: 'Bayview' } as never };
    render(<TemplatesTab />);
    const item = await screen.findByTestId('template-item');
    expect(item.querySelector('[data-testid="template-asks-confirmation-badge"]')?.textContent).toBe('Asks to confirm');

    fireEvent.click(screen.getByText('Edit'));
    const box = screen.getByTestId('template-asks-confirmation') as HTMLInputElement;
    expect(box.checked).toBe(true);
    fireEvent.click(box);
    fireEvent.click(screen.getByTestId('template-save'));
    await waitFor(() => expect(trpc.templates.save.mutate).toHaveBeenCalled());
    expect(vi.mocked(trpc.templates.save.mutate).mock.calls[0]![0]).toMatchObject({ templateId: 't1', name: 'Reminder', requestsConfirmation: false });
  });
});
