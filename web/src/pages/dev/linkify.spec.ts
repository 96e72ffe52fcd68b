import { describe, expect, it } from 'vitest';
import { linkify } from './linkify';

describe('linkify', () => {
  it('turns the invite link in a mail into a link and keeps the text around it', () => {
    const text = 'Accept the invitation (the link works for 7 days):\nhttp://127.0.0.1:3000/invite/abc_DEF-123\n';
    expect(linkify(text)).toEqual([
      { kind: 'text', text: 'Accept the invitation (the link works for 7 days):\n' },
      { kind: 'link', href: 'http://127.0.0.1:3000/invite/abc_DEF-123' },
      { kind: 'text', text: '\n' },
    ]);
  });

  it('leaves sentence punctuation after a link out of the link', () => {
    expect(linkify('Open https://caretext.example/reset-password/t0k3n. Thanks')).toEqual([
      { kind: 'text', text: 'Open ' },
      { kind: 'link', href: 'https://caretext.example/reset-password/t0k3n' },
      { kind: 'text', text: '. Thanks' },
    ]);
  });

  it('finds several links and ignores things that only look like links', () => {
    const pieces = linkify('a http://x.example/1, b https://y.example/2 and javascript:alert(1) or ftp://z');
    expect(pieces.filter((p) => p.kind === 'link')).toEqual([
      { kind: 'link', href: 'http://x.example/1' },
      { kind: 'link', href: 'https://y.example/2' },
    ]);
    expect(pieces.map((p) => (p.kind === 'link' ? p.href : p.text)).join('')).toBe('a http://x.example/1, b https://y.example/2 and javascript:alert(1) or ftp://z');
  });

  it('returns plain text when there is no link', () => {
    expect(linkify('No links here.')).toEqual([{ kind: 'text', text: 'No links here.' }]);
    expect(linkify('')).toEqual([]);
  });
});
