/**
 * An approved EHR origin as a Chrome match pattern (the extension asks Chrome for host access
 * with it and registers its content script on it): `scheme://host/path`, scheme http, https or
 * `*`, a host that may start with `*.` (subdomains), no port (Chrome's patterns match any port),
 * and a path (`/*` when only an origin was typed). Anything that would approve every site
 * (`*://*\/*`, `<all_urls>`, a bare TLD wildcard) is refused.
 */
export function normalizeEhrOrigin(typed: string): { pattern: string } | { error: string } {
  const text = typed.trim();
  const m = /^(https?|\*):\/\/([^/\s?#]+)(\/[^\s#]*)?$/i.exec(text);
  if (!m) return { error: 'Use an origin or URL pattern like https://ehr.example.com or https://*.ehr.example.com/chart/*' };
  const scheme = m[1]!.toLowerCase();
  let host = m[2]!.toLowerCase();
  const path = m[3] && m[3] !== '/' ? m[3] : '/*';
  if (host.includes('@')) return { error: 'An EHR origin has no user name or password in it.' };
  // Match patterns ignore ports; keep the host only.
  host = host.replace(/:\d+$/, '');
  const bare = host.startsWith('*.') ? host.slice(2) : host;
  if (!bare || bare.includes('*') || bare.includes(':')) return { error: 'Only a leading "*." is allowed in the host, e.g. https://*.ehr.example.com' };
  if (host.startsWith('*.') && !bare.includes('.')) return { error: 'Approve one EHR site, not a whole top-level domain.' };
  if (!/^[a-z0-9.-]+$/.test(bare)) return { error: `"${bare}" is not a host name.` };
  return { pattern: `${scheme}://${host}${path}` };
}
