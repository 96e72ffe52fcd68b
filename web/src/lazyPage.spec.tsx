import { cleanup, fireEvent, render, screen } from '@testing-library/preact';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { lazyPage } from './lazyPage';

afterEach(cleanup);

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const Page = ({ name }: { name: string }) => <p data-testid="page">Hello {name}</p>;

describe('lazyPage: a route whose code loads on first visit', () => {
  it('shows Loading while the chunk loads, then the page with its props; the chunk is fetched once', async () => {
    const chunk = deferred<typeof Page>();
    const load = vi.fn(() => chunk.promise);
    const Lazy = lazyPage(load);
    render(<Lazy name="Sam" />);
    expect(screen.getByTestId('loading')).toBeTruthy();
    chunk.resolve(Page);
    expect((await screen.findByTestId('page')).textContent).toBe('Hello Sam');
    cleanup();
    render(<Lazy name="Ana" />);
    expect(screen.getByTestId('page').textContent).toBe('Hello Ana'); // at once, no second Loading
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('says the page could not load when the chunk fails (offline, or an old chunk after a deploy); Try again fetches it again', async () => {
    const load = vi.fn<() => Promise<typeof Page>>().mockRejectedValueOnce(new TypeError('Failed to fetch dynamically imported module')).mockResolvedValueOnce(Page);
    const reload = vi.fn();
    const Lazy = lazyPage(load, { reload });
    render(<Lazy name="Sam" />);
    const failed = await screen.findByTestId('page-load-failed');
    expect(failed.textContent).toContain("This page couldn't load");
    expect(failed.textContent).toContain('reload the page');
    fireEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect((await screen.findByTestId('page')).textContent).toBe('Hello Sam');
    expect(load).toHaveBeenCalledTimes(2);
    expect(reload).not.toHaveBeenCalled();
  });

  it('offers to reload the page, which fetches the current index.html and its chunks', async () => {
    const reload = vi.fn();
    const Lazy = lazyPage<{ name: string }>(() => Promise.reject(new Error('gone')), { reload });
    render(<Lazy name="Sam" />);
    await screen.findByTestId('page-load-failed');
    fireEvent.click(screen.getByRole('button', { name: 'Reload page' }));
    expect(reload).toHaveBeenCalledTimes(1);
  });
});
