import { EHR_MAX_PAGE_ROWS } from '@caretext/shared/ehr-fields';
import { contextFrom, fieldValue, textOf } from './fields';
import { type EhrAdapter, identifies, type PatientContext, type PatientField } from './patient-context';

/**
 * Any EHR that labels its fields: label/value pairs (tables, definition lists, label + value
 * elements, `<label for>`), `aria-label`, `data-*` attributes, a table whose header names the
 * columns of a single patient row, and inline text such as "Patient: Jane Doe | DOB: 03/14/1985".
 * Labels must match exactly (after case, colon and a leading "Patient" are set aside), so
 * "Clinic phone" or "Provider" never count. Sections about other people (emergency contact,
 * guarantor, provider, pharmacy, insurance) are skipped.
 */

export type Label = { field: PatientField; rank: number };

/** Known labels, lowercase, with the preference among labels of one field (mobile before home). */
const LABELS = new Map<string, Label>();
const add = (field: PatientField, rank: number, ...labels: string[]) => labels.forEach((l) => LABELS.set(l, { field, rank }));
add('name', 0, 'patient', 'patient name', 'name', 'full name', "patient's name");
add('firstName', 0, 'first name', 'given name', 'first');
add('lastName', 0, 'last name', 'family name', 'surname', 'last');
add('dob', 0, 'dob', 'd.o.b.', 'd.o.b', 'date of birth', 'birth date', 'birthdate', 'born');
add('mrn', 0, 'mrn', 'mrn #', 'medical record #', 'medical record number', 'medical record no.', 'medical record no', 'medical record', 'med rec #', 'mr #', 'mr number', 'chart #', 'chart number', 'record #');
add('phone', 0, 'mobile', 'mobile phone', 'mobile #', 'cell', 'cell phone', 'cell #', 'sms', 'text');
add('phone', 1, 'phone', 'phone number', 'phone #', 'telephone', 'tel', 'tel.', 'primary phone', 'contact number');
add('phone', 2, 'home phone', 'home', 'work phone');
add('email', 0, 'email', 'e-mail', 'email address', 'e-mail address');
// Single words that are too common as inline text to count without a colon.
const WEAK = new Set(['patient', 'name', 'first', 'last', 'born', 'cell', 'text', 'home', 'sms', 'mobile', 'record #']);

const OTHER_PEOPLE = /emergency|guarantor|next-?of-?kin|provider|physician|doctor|referr|pharmacy|insurance|insurer|employer|facility|clinic-info|footer|staff|user-menu|contact-person|guardian|caregiver/i;

function labelOf(text: string): Label | null {
  let key = text.toLowerCase().replace(/\s+/g, ' ').replace(/[\s:*]+$/, '').trim();
  if (key.length > 40) return null;
  const direct = LABELS.get(key);
  if (direct) return direct;
  if (key.startsWith('patient ')) key = key.slice(8);
  return LABELS.get(key) ?? null;
}

/** Attribute-style names: data-patient-dob, data-date-of-birth, dataField="medical_record_number". */
function labelOfName(name: string): Label | null {
  return labelOf(name.replace(/^data-/, '').replace(/[-_]+/g, ' ').replace(/([a-z])([A-Z])/g, '$1 $2'));
}

type Candidate = { field: PatientField; value: string; score: number; order: number };

/** Is `el` inside a section about someone other than the patient? */
function aboutSomeoneElse(el: Element): boolean {
  for (let node: Element | null = el, depth = 0; node && depth < 10; node = node.parentElement, depth++) {
    if (node.tagName === 'FOOTER' || node.tagName === 'NAV') return true;
    const hint = `${node.id} ${typeof node.className === 'string' ? node.className : ''} ${node.getAttribute('aria-label') ?? ''} ${node.getAttribute('data-section') ?? ''}`;
    if (OTHER_PEOPLE.test(hint)) return true;
  }
  return false;
}

const INLINE_LABELS = [...LABELS.keys()]
  .filter((l) => !WEAK.has(l) || l === 'patient' || l === 'name')
  .sort((a, b) => b.length - a.length)
  .map((l) => l.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
/** "Label:" (or "Label #:") inside running text; the value runs to the next label or separator. */
const INLINE = new RegExp(`(?:^|[\\s|•·,;(\\[])((?:patient\\s+)?(?:${INLINE_LABELS.join('|')}))\\s*:\\s*`, 'gi');

function inlinePairs(text: string): { label: Label; value: string }[] {
  const found: { label: Label; start: number; end: number }[] = [];
  for (const m of text.matchAll(INLINE)) {
    const label = labelOf(m[1]!);
    if (label) found.push({ label, start: m.index!, end: m.index! + m[0].length });
  }
  return found.map((f, i) => {
    const raw = text.slice(f.end, found[i + 1]?.start ?? text.length);
    return { label: f.label, value: raw.split(/\s*[|•·]\s*|\s{2,}/)[0]!.replace(/[,;]\s*$/, '') };
  });
}

function read(doc: Document): ReturnType<EhrAdapter['read']> {
  const candidates: Candidate[] = [];
  let order = 0;
  const offer = (label: Label | null, raw: string | null | undefined, source: number, el: Element) => {
    if (!label || !raw) return;
    const value = fieldValue(label.field, raw);
    if (!value || labelOf(value)) return;
    // A DOB must read as a date, a name must look like one (letters, no colon).
    if (label.field === 'dob' && !/^\d{4}-\d{2}-\d{2}$/.test(value)) return;
    if ((label.field === 'name' || label.field === 'firstName' || label.field === 'lastName') && (!/\p{L}/u.test(value) || value.includes(':'))) return;
    const penalty = aboutSomeoneElse(el) ? 100 : 0;
    candidates.push({ field: label.field, value, score: source * 10 + label.rank + penalty, order: order++ });
  };

  const body = doc.body;
  if (!body) return null;
  const elements = body.getElementsByTagName('*');
  const limit = Math.min(elements.length, 8000);
  const inlineDone = new Set<Element>();
  for (let i = 0; i < limit; i++) {
    const el = elements[i]!;
    const tag = el.tagName;
    if (tag === 'SCRIPT' || tag === 'STYLE' || tag === 'TEMPLATE' || tag === 'NOSCRIPT' || el.id === 'caretext-sidebar-host') continue;

    // data-* and aria-label name the field on the element that holds it (or in the attribute itself).
    for (const attr of Array.from(el.attributes)) {
      if (attr.name === 'aria-label') offer(labelOf(attr.value), textOf(el), 0, el);
      else if (attr.name === 'data-field' || attr.name === 'data-label' || attr.name === 'itemprop') offer(labelOfName(attr.value), textOf(el), 0, el);
      else if (attr.name.startsWith('data-') && attr.name !== 'data-testid') offer(labelOfName(attr.name), attr.value || textOf(el), 0, el);
    }

    if (el.childElementCount === 0 || tag === 'DT' || tag === 'TH' || tag === 'LABEL' || tag === 'TD') {
      const own = textOf(el);
      const label = own.length <= 40 ? labelOf(own) : null;
      if (label) {
        // Label element followed by its value: dt/dd, th/td, td/td, label/input, div/div, span/span.
        const forId = el.getAttribute('for');
        const target = forId ? doc.getElementById(forId) : el.nextElementSibling;
        if (target) offer(label, textOf(target), 0, el);
        // A header cell: the same column of a table's only body row.
        if (tag === 'TH' && el.parentElement?.parentElement?.tagName === 'THEAD') {
          const table = el.closest('table');
          const rows = table?.tBodies[0]?.rows;
          const cell = rows?.length === 1 ? rows[0]!.cells[(el as HTMLTableCellElement).cellIndex] : null;
          if (cell) offer(label, textOf(cell), 1, el);
        }
      }
    }

    // Inline "Label: value" in running text (a banner, a header line).
    if (el.childElementCount <= 12 && !inlineDone.has(el)) {
      const text = el.textContent ?? '';
      if (text.length <= 400 && text.includes(':') && hasOwnLabelText(el)) {
        const block = blockFor(el);
        if (!inlineDone.has(block)) {
          inlineDone.add(block);
          for (const pair of inlinePairs(spacedText(block))) offer(pair.label, pair.value, 2, block);
        }
      }
    }
  }

  const best = new Map<PatientField, Candidate>();
  for (const c of candidates) {
    const current = best.get(c.field);
    if (!current || c.score < current.score || (c.score === current.score && c.order < current.order)) best.set(c.field, c);
  }
  const ctx = contextFrom(Object.fromEntries([...best].map(([field, c]) => [field, c.value])));
  // Two independent facts at least, one of which identifies: a lone "Name:" is not a patient page.
  return identifies(ctx) && [...best.values()].filter((c) => c.score < 100).length >= 2 ? ctx : null;
}

/** Does one of `el`'s own text nodes hold a "Label:"? */
function hasOwnLabelText(el: Element): boolean {
  for (let n = el.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === 3 && /[A-Za-z#]\s*:/.test(n.nodeValue ?? '')) return true;
  }
  return false;
}

const LABEL_ONLY = /^[^:]{1,40}:\s*$/;

/** A label in its own element ("<b>DOB:</b> 1985-03-14"): read the line that holds it. */
function blockFor(el: Element): Element {
  let block = el;
  while (block.parentElement && block.parentElement !== block.ownerDocument.body && LABEL_ONLY.test(spacedText(block))) block = block.parentElement;
  return block;
}

/** Text with a space between nodes, so "<td>MRN:</td><td>12</td>" reads "MRN: 12", not "MRN:12". */
function spacedText(el: Element): string {
  const parts: string[] = [];
  const walker = el.ownerDocument.createTreeWalker(el, 4 /* NodeFilter.SHOW_TEXT */);
  for (let n = walker.nextNode(); n && parts.length < 200; n = walker.nextNode()) parts.push(n.nodeValue ?? '');
  return parts.join(' ').replace(/\s+/g, ' ').trim();
}

/**
 * A table of patients (a day's schedule, a worklist, search results): a header row whose cells
 * are the same labels as above (Patient / Name, DOB, MRN / Chart #, Phone / Mobile, ...), and
 * at least two body rows that identify a patient. The largest such table on the page wins.
 * `extraLabels` lets an EHR's adapter add its own column names (OpenEMR's "External ID").
 */
export function readTableRows(doc: Document, extraLabels: ReadonlyMap<string, Label> = new Map()): PatientContext[] | null {
  const headerLabel = (text: string) => extraLabels.get(text.toLowerCase().replace(/\s+/g, ' ').replace(/[\s:*]+$/, '').trim()) ?? labelOf(text);
  let best: PatientContext[] = [];
  for (const table of Array.from(doc.getElementsByTagName('table'))) {
    // An emergency-contacts or providers table lists other people, not patients.
    if (aboutSomeoneElse(table)) continue;
    const rows = Array.from(table.rows);
    const head = table.tHead?.rows[table.tHead.rows.length - 1] ?? (rows[0] && Array.from(rows[0].cells).every((c) => c.tagName === 'TH') ? rows[0] : null);
    if (!head) continue;
    const columns = Array.from(head.cells).map((cell) => headerLabel(textOf(cell)));
    const fields = new Set(columns.filter(Boolean).map((l) => l!.field));
    const named = fields.has('name') || (fields.has('firstName') && fields.has('lastName'));
    if (!(fields.has('mrn') || (named && (fields.has('dob') || fields.has('phone'))))) continue;
    const found: PatientContext[] = [];
    for (const row of rows) {
      if (row === head || row.parentElement?.tagName === 'THEAD' || row.parentElement?.tagName === 'TFOOT') continue;
      const chosen = new Map<PatientField, { value: string; rank: number }>();
      Array.from(row.cells).forEach((cell, i) => {
        const label = columns[i];
        const text = label ? textOf(cell) : '';
        if (!label || !text || !fieldValue(label.field, text)) return;
        const current = chosen.get(label.field);
        if (!current || label.rank < current.rank) chosen.set(label.field, { value: text, rank: label.rank });
      });
      const ctx = contextFrom(Object.fromEntries([...chosen].map(([field, c]) => [field, c.value])));
      if (identifies(ctx)) found.push(ctx);
      if (found.length >= EHR_MAX_PAGE_ROWS) break;
    }
    if (found.length >= 2 && found.length > best.length) best = found;
  }
  return best.length ? best : null;
}

export const genericAdapter: EhrAdapter = {
  id: 'generic',
  confidence: 0.5,
  matches: () => true,
  read,
  readRows: (doc) => readTableRows(doc),
};
