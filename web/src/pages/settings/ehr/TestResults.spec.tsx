import { render } from '@testing-library/preact';
import { afterEach, describe, expect, it } from 'vitest';
import { TestResults } from './EhrAdaptersTab';
import { testAdapter } from './testAdapter';

afterEach(() => {
  delete (globalThis as { pwned?: boolean }).pwned;
});

describe('TestResults', () => {
  it('shows markup found on the pasted page as text, never as elements', async () => {
    // The page's text itself contains markup (escaped in the source): it must stay text.
    const html = `<div class="name">&lt;img src=x onerror="globalThis.pwned = true"&gt;</div><img src=x onerror="globalThis.pwned = true">`;
    const { container, getByTestId } = render(<TestResults results={testAdapter(html, { name: '.name', mrn: '#none', phone: 'p[[' })} />);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(container.querySelector('img')).toBeNull();
    expect(getByTestId('adapter-test-name').textContent).toContain('<img src=x onerror="globalThis.pwned = true">');
    expect(getByTestId('adapter-test-mrn').textContent).toContain('Not found');
    expect(getByTestId('adapter-test-phone').textContent).toContain('Invalid selector');
    expect((globalThis as { pwned?: boolean }).pwned).toBeUndefined();
  });
});
