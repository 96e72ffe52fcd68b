import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/preact';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { session } from '../../lib/session';
import { trpc } from '../../lib/trpc';
import { AutoRepliesCard } from './AutoRepliesCard';

const saved = {
  helpReply: null,
  contactPhone: null,
  confirmKeywords: ['C', 'YES'],
  declineKeywords: ['N'],
  confirmAckReply: "Thanks, you're confirmed. See you soon!",
  declineAckReply: 'Thanks for letting us know. Please call us to reschedule.',
};

vi.mock('../../lib/trpc', () => ({
  trpc: { orgs: { replies: { query: vi.fn(async () => saved) }, updateReplies: { mutate: vi.fn(async () => saved) } } },
}));

afterEach(cleanup);

describe('Settings → Automatic replies: acknowledging a confirmation', () => {
  it("shows the org's acknowledgements and saves an emptied one as none", async () => {
    session.value = { status: 'ready', me: null, org: { myRole: 'admin' } as never };
    render(<AutoRepliesCard />);
    const confirmAck = (await screen.findByTestId('confirm-ack')) as HTMLTextAreaElement;
    expect(confirmAck.value).toBe("Thanks, you're confirmed. See you soon!");
    expect((screen.getByTestId('decline-ack') as HTMLTextAreaElement).value).toBe('Thanks for letting us know. Please call us to reschedule.');
    fireEvent.input(confirmAck, { target: { value: '' } });
    fireEvent.click(screen.getByTestId('save-replies'));
    await waitFor(() => expect(trpc.orgs.updateReplies.mutate).toHaveBeenCalled());
    expect(vi.mocked(trpc.orgs.updateReplies.mutate).mock.calls[0]![0]).toMatchObject({ confirmAckReply: '', declineAckReply: 'Thanks for letting us know. Please call us to reschedule.' });
  });
});
