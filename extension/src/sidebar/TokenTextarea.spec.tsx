import { act, cleanup, fireEvent, render, screen } from '@testing-library/preact';
import { useState } from 'preact/hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { TokenTextarea } from './BlastPanel';

function Harness({ initial }: { initial: string }) {
  const [value, setValue] = useState(initial);
  return <TokenTextarea value={value} onChange={setValue} disabled={false} orgName="Riverside" />;
}

/** A key typed the way a browser does it: at the cursor, then an input event. */
function typeAtCursor(el: HTMLTextAreaElement, text: string) {
  const at = el.selectionStart;
  el.value = el.value.slice(0, at) + text + el.value.slice(el.selectionEnd);
  el.setSelectionRange(at + text.length, at + text.length);
  fireEvent.input(el);
}

afterEach(cleanup);

describe("the sidebar blast's message box", () => {
  it('a token chosen with Enter in the middle of the text: what is typed right after goes after the token, not at the end', async () => {
    render(<Harness initial="Hi  there" />);
    const box = screen.getByTestId('blast-body') as HTMLTextAreaElement;
    box.focus();
    box.setSelectionRange(3, 3);
    typeAtCursor(box, '@fir');
    expect(await screen.findByTestId('token-menu')).toBeTruthy();
    fireEvent.keyDown(box, { key: 'Enter' });
    await act(async () => {});
    expect(box.value).toBe('Hi {{first_name}} there');
    typeAtCursor(box, ',');
    await act(async () => {});
    expect(box.value).toBe('Hi {{first_name}}, there');
  });
});
