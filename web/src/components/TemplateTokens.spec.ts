import { describe, expect, it } from 'vitest';
import { insertAtCursor } from './TemplateTokens';

function textarea(value: string, start: number, end = start): HTMLTextAreaElement {
  const el = document.createElement('textarea');
  el.value = value;
  el.setSelectionRange(start, end);
  return el;
}

describe('insertAtCursor', () => {
  it('puts a token where the cursor is, with a space before it when needed', () => {
    expect(insertAtCursor(textarea('Hi , see you', 3), 'Hi , see you', '{{first_name}}')).toEqual({ text: 'Hi {{first_name}}, see you', cursor: 17 });
    expect(insertAtCursor(textarea('Hello', 5), 'Hello', '{{first_name}}')).toEqual({ text: 'Hello {{first_name}}', cursor: 20 });
  });

  it('replaces a selection, and appends when there is no textarea', () => {
    expect(insertAtCursor(textarea('Hi NAME!', 3, 7), 'Hi NAME!', '{{first_name}}').text).toBe('Hi {{first_name}}!');
    expect(insertAtCursor(null, '', '{{org_name}}')).toEqual({ text: '{{org_name}}', cursor: 12 });
  });
});
