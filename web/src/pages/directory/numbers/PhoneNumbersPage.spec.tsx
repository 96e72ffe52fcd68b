import { cleanup, fireEvent, render, screen } from '@testing-library/preact';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { session } from '../../../lib/session';
import { PhoneNumbersPage } from './PhoneNumbersPage';

const number = (id: string, e164: string, isMine: boolean) => ({
  id,
  e164,
  display: e164,
  locality: null,
  region: null,
  messagesPerSecond: 1,
  team: { id: `team-${id}`, name: `Team ${id}`, members: [] },
  isMine,
  createdAt: new Date('2026-04-01T00:00:00Z'),
});

vi.mock('../../../lib/trpc', () => ({
  trpc: {
    numbers: { list: { query: vi.fn(async () => [number('n1', '+14155550101', true), number('n2', '+12125550102', false)]) } },
    teams: { list: { query: vi.fn(async () => []) } },
    members: { list: { query: vi.fn(async () => []) } },
  },
}));

function signInAs(role: 'member' | 'admin') {
  session.value = { status: 'ready', me: null, org: { myRole: role, smsEnabled: true } as never };
}

afterEach(cleanup);

describe('Phone numbers: exporting phone logs', () => {
  it("offers a member the export of their own team's number only, and 'my teams' for all of theirs", async () => {
    signInAs('member');
    render(<PhoneNumbersPage />);
    const cards = await screen.findAllByTestId('number-card');
    const mine = cards.find((c) => c.getAttribute('data-e164') === '+14155550101')!;
    const theirs = cards.find((c) => c.getAttribute('data-e164') === '+12125550102')!;
    expect(mine.querySelector('[data-testid="export-phone-logs"]')).not.toBeNull();
    expect(theirs.querySelector('[data-testid="export-phone-logs"]')).toBeNull();

    const all = screen.getByTestId('export-all-phone-logs');
    expect(all.textContent).toBe('Export my teams’ phone logs');
    fireEvent.click(all);
    expect(screen.getByTestId('phone-log-download').getAttribute('href')).toMatch(/^\/api\/numbers\/phone-log\.csv\?/);
  });

  it('offers an admin every number and all phone logs', async () => {
    signInAs('admin');
    render(<PhoneNumbersPage />);
    const cards = await screen.findAllByTestId('number-card');
    for (const card of cards) expect(card.querySelector('[data-testid="export-phone-logs"]')).not.toBeNull();
    expect(screen.getByTestId('export-all-phone-logs').textContent).toBe('Export all phone logs');
  });
});
