import { selectRows } from '@caretext/shared/ehr-extract';
import type { AdapterRowSelectors, AdapterSelectors } from '@caretext/shared/ehr-fields';
import { contextFrom, selectText } from './fields';
import { type EhrAdapter, identifies, type PatientField } from './patient-context';

/** An adapter an admin defined in the web app (ehrAdapters.list): a URL pattern and a CSS selector per field. */
export type AdapterDefinition = {
  id: string;
  name: string;
  urlPattern: string;
  selectors: AdapterSelectors;
  /** A list of patients on the page (a schedule): a selector per row, and per field inside it. */
  rows?: AdapterRowSelectors | null;
};

/**
 * Chrome match-pattern style ("https://ehr.example.com/patients/*", "*://*.clinic.org/*"): `*`
 * as scheme means http or https, `*.` before a host means any subdomain, `*` elsewhere is any
 * run of characters; a host without a port matches any port. Matched against origin + path + query.
 */
export function urlPatternRegex(pattern: string): RegExp | null {
  const m = /^(\*|https?):\/\/([^/]+)(\/.*)$/.exec(pattern.trim());
  if (!m) return null;
  const [, scheme, host, path] = m as unknown as [string, string, string, string];
  const escape = (s: string) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  const schemePart = scheme === '*' ? 'https?' : scheme;
  const hostPart = host === '*' ? '[^/]+' : host.startsWith('*.') ? `(?:[^/]+\\.)?${escape(host.slice(2))}` : escape(host).replace(/\*/g, '[^/]*');
  const portPart = host.includes(':') ? '' : '(?::\\d+)?';
  const pathPart = escape(path).replace(/\*/g, '.*');
  return new RegExp(`^${schemePart}://${hostPart}${portPart}${pathPart}$`, 'i');
}

/** An admin's invalid selector reads as "not on this page". */
function select(doc: Document, selector: string | null | undefined): string {
  const text = selectText(doc, selector);
  return typeof text === 'string' ? text : '';
}

export function adminDefinedAdapter(def: AdapterDefinition): EhrAdapter {
  const pattern = urlPatternRegex(def.urlPattern);
  return {
    id: `admin:${def.id}`,
    // An admin said exactly where this EHR keeps each field: trusted over the built-in guesses.
    confidence: 0.95,
    matches: (url) => Boolean(pattern?.test(`${url.origin}${url.pathname}${url.search}`)),
    read(doc) {
      const raw: Partial<Record<PatientField, string>> = {};
      for (const [field, selector] of Object.entries(def.selectors) as [PatientField, string | null][]) raw[field] = select(doc, selector);
      return contextFrom(raw);
    },
    readRows(doc) {
      const rows = selectRows(doc, def.rows);
      // An invalid selector reads as "no list on this page", like a field's.
      if (!Array.isArray(rows)) return null;
      const found = rows.map(contextFrom).filter(identifies);
      return found.length ? found : null;
    },
  };
}
