// The messy patient CSV for the import bench, and the directory it is imported into. Everything
// is derived from a seed, and the generator counts what each row must do (create, update,
// unchanged, rejected), so the bench can check the import's counts exactly.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

const FIRST = ['Amina', 'Jordan', 'Maria', 'James', 'Wei', 'Fatima', 'Carlos', 'Olivia', 'Noah', 'Priya', 'Liam', 'Sofia', 'Mateo', 'Chloe', 'Hiroshi', 'Aisha', 'Ethan', 'Grace', 'Diego', 'Zoë', 'José', 'Hannah', 'Omar', 'Lucía', 'Kofi', 'Emma', 'Ravi', 'Ingrid', 'Samuel', 'Mei'];
const LAST = ['Patel', 'Lee', 'Garcia', 'Smith', 'Nguyen', "O'Neil", 'Kim', 'Johnson', 'Martínez', 'Brown', 'Okafor', 'Chen', 'Rossi', 'Müller', 'Williams', 'Haddad', 'Santos', 'Cohen', 'Ivanova', 'Tanaka', 'Diaz-Lopez', 'Murphy', 'Singh', 'Andersen', 'Mensah'];
/** Only in clean rows: a comma forces quoting. */
const QUOTED_LAST = ['Smith, Jr.', 'King, III', 'Lee "Jay"'];

/** mulberry32: small, fast, deterministic. */
export function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  next.int = (n) => Math.floor(next() * n);
  next.pick = (list) => list[Math.floor(next() * list.length)];
  next.chance = (p) => next() < p;
  return next;
}

const pad = (n, width) => String(n).padStart(width, '0');
/** Ten NANP digits: area code + a 7-digit number starting with 2 (k < 8,000,000). */
const tenDigits = (area, k) => `${area}${2000000 + k}`;
const isoDate = (y, m, d) => `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`;

/** Phone areas: existing patients, new rows, and new phones given to matched patients. */
const AREA_EXISTING = 646;
const AREA_NEW = 415;
const AREA_MOVED = 628;

/** The existing directory's patient #i (seeded straight into the database). */
export function existingPatient(i) {
  const h = (i * 2654435761) >>> 0;
  return {
    mrn: `E${pad(i, 7)}`,
    phone: `+1${tenDigits(AREA_EXISTING, i)}`,
    digits: tenDigits(AREA_EXISTING, i),
    firstName: FIRST[h % FIRST.length],
    lastName: LAST[(h >>> 8) % LAST.length],
    dob: isoDate(1935 + ((h >>> 3) % 75), 1 + ((h >>> 11) % 12), 1 + ((h >>> 17) % 28)),
    email: i % 3 === 0 ? null : `e${i}@mail.example.com`,
  };
}

function formatPhone(r, digits) {
  const [a, e, n] = [digits.slice(0, 3), digits.slice(3, 6), digits.slice(6)];
  switch (r.int(4)) {
    case 0:
      return `(${a}) ${e}-${n}`;
    case 1:
      return `${a}.${e}.${n}`;
    case 2:
      return `+1 ${a} ${e} ${n}`;
    default:
      return digits;
  }
}

function formatDob(r, iso) {
  if (r.chance(0.5)) return iso;
  const [y, m, d] = iso.split('-');
  // MM/DD/YYYY, sometimes without leading zeros.
  return r.chance(0.5) ? `${m}/${d}/${y}` : `${Number(m)}/${Number(d)}/${y}`;
}

function randomDob(r) {
  return isoDate(1930 + r.int(90), 1 + r.int(12), 1 + r.int(28));
}

function csvCell(value) {
  const v = value ?? '';
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export const HEADER = ['phone', 'mrn', 'first_name', 'last_name', 'dob', 'email'];

/** Row kinds and their share of the file. */
const SHARES = {
  // matching existing patients (~5%)
  mrnUpdate: 0.015, // MRN + same phone, new email -> update
  mrnWins: 0.005, // MRN + a phone nobody has -> update (phone moves; warning)
  phoneUpdate: 0.015, // phone only, same first name, new last name -> update
  unchangedMrn: 0.0075, // MRN, same phone/name/dob/email in other formats -> unchanged
  unchangedPhone: 0.0075, // phone only, same first and last name -> unchanged
  // a family member sharing an existing patient's phone, another first name (~0.3%) -> create (warning)
  family: 0.003,
  // bad rows (~2%) -> rejected
  badPhone: 0.005,
  badDob: 0.005,
  badEmail: 0.004,
  shifted: 0.004,
  duplicate: 0.002, // repeats an earlier new row of this file (by phone or MRN)
};
const MATCHING = ['mrnUpdate', 'mrnWins', 'phoneUpdate', 'unchangedMrn', 'unchangedPhone', 'family'];
const OUTCOME = {
  create: 'created', family: 'created',
  mrnUpdate: 'updated', mrnWins: 'updated', phoneUpdate: 'updated',
  unchangedMrn: 'unchanged', unchangedPhone: 'unchanged',
  badPhone: 'rejected', badDob: 'rejected', badEmail: 'rejected', shifted: 'rejected', duplicate: 'rejected',
};

/**
 * Writes the CSV to `file` (streamed, ~64 KB writes) and returns what importing it into a
 * directory of `existing` patients (existingPatient(0..existing-1)) must do.
 */
export async function writeMessyCsv(file, { rows, existing, seed = 42 }) {
  const r = rng(seed);
  // How many rows of each kind; matching rows are capped by the directory's size.
  const kinds = Object.keys(SHARES);
  const want = Object.fromEntries(kinds.map((k) => [k, Math.round(rows * SHARES[k])]));
  const matchingWanted = MATCHING.reduce((s, k) => s + want[k], 0);
  if (matchingWanted > existing) for (const k of MATCHING) want[k] = Math.floor((want[k] * existing) / matchingWanted);
  const special = kinds.reduce((s, k) => s + want[k], 0);
  const codes = new Uint8Array(rows); // 0 = a clean new patient
  let at = 0;
  kinds.forEach((k, index) => {
    codes.fill(index + 1, at, at + want[k]);
    at += want[k];
  });
  if (special > rows) throw new Error('too few rows for the mix');
  for (let i = rows - 1; i > 0; i--) {
    const j = r.int(i + 1);
    [codes[i], codes[j]] = [codes[j], codes[i]];
  }
  // Distinct existing patients for the matching rows (partial Fisher-Yates).
  const pool = new Int32Array(existing);
  for (let i = 0; i < existing; i++) pool[i] = i;
  let poolUsed = 0;
  const takeExisting = () => {
    const j = poolUsed + r.int(existing - poolUsed);
    [pool[poolUsed], pool[j]] = [pool[j], pool[poolUsed]];
    return existingPatient(pool[poolUsed++]);
  };

  const counts = { created: 0, updated: 0, unchanged: 0, rejected: 0 };
  const byKind = {};
  let warnings = 0;
  let newPhones = 0;
  let movedPhones = 0;
  let newMrns = 0;
  /** Recent clean new rows, for duplicates. */
  const recent = [];

  const out = createWriteStream(file);
  let buffer = '\ufeff' + HEADER.join(',') + '\r\n';
  const write = async (cells) => {
    buffer += cells.map(csvCell).join(',') + '\r\n';
    if (buffer.length >= 64 * 1024) {
      if (!out.write(buffer)) await once(out, 'drain');
      buffer = '';
    }
  };

  for (let line = 0; line < rows; line++) {
    let kind = codes[line] === 0 ? 'create' : kinds[codes[line] - 1];
    if (kind === 'duplicate' && !recent.length) kind = 'badPhone';
    switch (kind) {
      case 'create': {
        const digits = tenDigits(AREA_NEW, newPhones++);
        const mrn = r.chance(0.7) ? `N${pad(newMrns++, 7)}` : '';
        const first = r.chance(0.95) ? r.pick(FIRST) : '';
        const last = r.chance(0.01) ? r.pick(QUOTED_LAST) : r.chance(0.95) ? r.pick(LAST) : '';
        const dob = r.chance(0.85) ? formatDob(r, randomDob(r)) : '';
        const email = r.chance(0.6) ? `${r.chance(0.1) ? 'New' : 'new'}${line}@patients.example.org` : '';
        await write([formatPhone(r, digits), mrn, first, last, dob, email]);
        recent.push({ digits, mrn, first });
        if (recent.length > 500) recent.splice(0, 250);
        break;
      }
      case 'family': {
        const p = takeExisting();
        const start = r.int(FIRST.length);
        let first = FIRST[start];
        for (let k = 1; first.toLowerCase() === p.firstName.toLowerCase(); k++) first = FIRST[(start + k) % FIRST.length];
        await write([formatPhone(r, p.digits), '', first, p.lastName, formatDob(r, randomDob(r)), '']);
        warnings += 1;
        break;
      }
      case 'mrnUpdate': {
        const p = takeExisting();
        await write([formatPhone(r, p.digits), p.mrn, r.chance(0.5) ? p.firstName : '', '', '', `moved${line}@mail.example.net`]);
        break;
      }
      case 'mrnWins': {
        const p = takeExisting();
        await write([formatPhone(r, tenDigits(AREA_MOVED, movedPhones++)), p.mrn, '', '', '', '']);
        warnings += 1;
        break;
      }
      case 'phoneUpdate': {
        const p = takeExisting();
        await write([formatPhone(r, p.digits), '', p.firstName, `${p.lastName}-Moss`, r.chance(0.5) ? formatDob(r, p.dob) : '', '']);
        break;
      }
      case 'unchangedMrn': {
        const p = takeExisting();
        await write([formatPhone(r, p.digits), p.mrn, p.firstName, r.chance(0.5) ? p.lastName : '', formatDob(r, p.dob), p.email ? p.email.toUpperCase() : '']);
        break;
      }
      case 'unchangedPhone': {
        const p = takeExisting();
        await write([formatPhone(r, p.digits), '', p.firstName, p.lastName, '', p.email ?? '']);
        break;
      }
      case 'badPhone': {
        const digits = tenDigits(AREA_NEW, newPhones++);
        const variants = [
          () => `${digits.slice(0, 3)}-${digits.slice(3, 6)}-${digits.slice(6, 8)}`, // too short
          () => `(415) 555-O${digits.slice(7)}`, // letter O for zero
          () => '', // blank
          () => `555-${digits.slice(6)}`, // no area code
          () => `(${digits.slice(0, 3)}) ${digits.slice(3, 6)}-${digits.slice(6)} call after 5`,
        ];
        await write([r.pick(variants)(), '', r.pick(FIRST), r.pick(LAST), '', '']);
        break;
      }
      case 'badDob': {
        const digits = tenDigits(AREA_NEW, newPhones++);
        const dob = r.pick(['02/30/1985', '1985-02-30', '13/01/1990', '31/12/1980', '2099-05-05', '1850-01-01', '1990-04-31', '19850314']);
        await write([formatPhone(r, digits), `N${pad(newMrns++, 7)}`, r.pick(FIRST), r.pick(LAST), dob, '']);
        break;
      }
      case 'badEmail': {
        const digits = tenDigits(AREA_NEW, newPhones++);
        const name = `user${line}`;
        const email = r.pick([`${name}.at.example.com`, `${name}@example`, `${name}@@example.com`, `${name} smith@example.com`]);
        await write([formatPhone(r, digits), '', r.pick(FIRST), r.pick(LAST), '', email]);
        break;
      }
      case 'shifted': {
        const digits = tenDigits(AREA_NEW, newPhones++);
        const first = r.pick(FIRST.filter((f) => !f.includes(' ')));
        const variant = r.int(3);
        if (variant === 0) await write([formatPhone(r, digits), first, r.pick(LAST), randomDob(r), '']); // mrn missing: names move left
        else if (variant === 1) await write([formatPhone(r, digits), `N${pad(newMrns++, 7)}`, `${first.toLowerCase()}${line}@mail.example.com`, r.pick(LAST), '', '']); // email in first_name
        else await write(['', formatPhone(r, digits), `N${pad(newMrns++, 7)}`, first, r.pick(LAST), randomDob(r)]); // leading empty cell
        break;
      }
      case 'duplicate': {
        const earlier = r.pick(recent);
        if (earlier.mrn && r.chance(0.5)) await write([formatPhone(r, tenDigits(AREA_NEW, newPhones++)), earlier.mrn, earlier.first, '', '', '']); // same MRN
        else await write([formatPhone(r, earlier.digits), '', earlier.first, '', '', '']); // same phone and first name
        break;
      }
      default:
        throw new Error(`unknown kind ${kind}`);
    }
    counts[OUTCOME[kind]] += 1;
    byKind[kind] = (byKind[kind] ?? 0) + 1;
  }
  out.end(buffer);
  await once(out, 'finish');
  return { rows, counts, byKind, warnings, total: rows };
}

/** Values for the directory's existing patients i..i+n-1, for a multi-row INSERT. */
export function existingPatientRows(from, n) {
  const list = [];
  for (let i = from; i < from + n; i++) list.push(existingPatient(i));
  return list;
}
