import { contextFrom, textOf } from './fields';
import { type Label, readTableRows } from './generic';
import type { EhrAdapter } from './patient-context';

/**
 * OpenEMR's patient dashboard (interface/patient_file/summary/demographics.php) and the full
 * demographics page. Its layout engine renders each field as `<td id="text_<field_id>">`:
 * fname/lname, DOB, pubpid (the External ID clinics use as their MRN), phone_cell/phone_home.
 * The heading above the cards repeats the name, which covers layouts that hide the name row.
 */
const PATH = /\/interface\/patient_file\/(?:summary\/demographics(?:_full)?\.php|summary\/dashboard|demographics)/i;

/**
 * OpenEMR's lists of patients: the patient finder (main/finder/dynamic_finder.php, `#pt_table`),
 * the Patient Flow Board (patient_tracker) and the appointments report. Their tables name columns
 * as the clinic configured them; OpenEMR's own names are added to the generic labels.
 */
const LIST_PATH = /\/interface\/(?:main\/finder\/|patient_tracker\/|reports\/appointments_report\.php)/i;
const LIST_LABELS: ReadonlyMap<string, Label> = new Map([
  ['external id', { field: 'mrn', rank: 0 }],
  ['pubpid', { field: 'mrn', rank: 0 }],
  ['mobile phone', { field: 'phone', rank: 0 }],
  ['home', { field: 'phone', rank: 2 }],
  ['full name', { field: 'name', rank: 0 }],
]);

const byId = (doc: Document, id: string) => textOf(doc.getElementById(id));

export const openEmrAdapter: EhrAdapter = {
  id: 'openemr',
  confidence: 0.9,
  matches: (url, doc) => PATH.test(url.pathname) || LIST_PATH.test(url.pathname) || Boolean(doc.getElementById('text_pubpid') && doc.getElementById('text_DOB')),
  readRows: (doc) => readTableRows(doc, LIST_LABELS),
  read(doc) {
    const heading = doc.querySelector('[data-patient-name], .ptName, #dashboard-header h2, .title h2, h2');
    const first = byId(doc, 'text_fname');
    const last = byId(doc, 'text_lname');
    return contextFrom({
      name: first || last ? null : textOf(heading),
      firstName: first,
      lastName: last,
      dob: byId(doc, 'text_DOB'),
      mrn: byId(doc, 'text_pubpid'),
      phone: byId(doc, 'text_phone_cell') || byId(doc, 'text_phone_home') || byId(doc, 'text_phone_biz'),
      email: byId(doc, 'text_email') || byId(doc, 'text_email_direct'),
    });
  },
};
