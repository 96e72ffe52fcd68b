import { act, cleanup, fireEvent, render, screen } from '@testing-library/preact';
import { useState } from 'preact/hooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TokenTextarea } from './BlastWizardPage';

vi.mock('../../../lib/trpc', () => ({ trpc: {} }));

function Harness({ initial }: { initial: string }) {
  const [value, setValue] = useState(initial);
  return <TokenTextarea value={value} onChange={setValue} orgName="North Clinic" />;
}

/** A key typed the way a browser does it: at the cursor, then an input event. */
function typeAtCursor(el: HTMLTextAreaElement, text: string) {
  const at = el.selectionStart;
  const value = el.value.slice(0, at) + text + el.value.slice(el.selectionEnd);
  el.value = value;
  el.setSelectionRange(at + text.length, at + text.length);
  fireEvent.input(el);
}

afterEach(cleanup);

describe('the blast message box', () => {
  it('a token chosen with Enter in the middle of the text: what is typed right after goes after the token, not at the end', async () => {
    render(<Harness initial="Hi  there" />);
    const box = screen.getByTestId('blast-body') as HTMLTextAreaElement;
    box.focus();
    box.setSelectionRange(3, 3);
    typeAtCursor(box, '@fir');
    expect(await screen.findByTestId('token-menu')).toBeTruthy();
    fireEvent.keyDown(box, { key: 'Enter' });
    // The render after the choice has run; the next key comes at once (no animation frame in between).
    await act(async () => {});
    expect(box.value).toBe('Hi {{first_name}} there');
    typeAtCursor(box, ',');
    await act(async () => {});
    expect(box.value).toBe('Hi {{first_name}}, there');
  });
});
