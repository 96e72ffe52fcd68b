import { Inject, Injectable } from '@nestjs/common';
import { cleanIdentifier, cleanName, formatPhoneForDisplay, isEmail, normalizePhone, parseDob, phoneExtension, phoneExtensionMessage } from '@caretext/shared';
import { TRPCError } from '@trpc/server';
import type { Actor } from '../access/access.service.js';
import { AuditService } from '../audit/audit.service.js';
import type { Database } from '../db/database.js';
import { type Patient, Prisma } from '../generated/prisma/client.js';
import { DATABASE } from '../injection-tokens.js';
import { CLOCK, type Clock } from '../clock.js';
import { type CandidateSource, dobOf, type MatchInput, matchPatient } from './patient-match.js';

export type ConsentField = 'smsTransactionalOptIn' | 'smsMarketingOptIn' | 'emailMarketingOptIn';
const CONSENT_KIND: Record<ConsentField, string> = {
  smsTransactionalOptIn: 'sms_transactional',
  smsMarketingOptIn: 'sms_marketing',
  emailMarketingOptIn: 'email_marketing',
};
export type StatusField = 'optedOutAt' | 'blockedAt' | 'emailSuppressedAt' | 'unsubscribedAt';
const STATUS_KIND: Record<StatusField, string> = {
  optedOutAt: 'sms_opt_out',
  blockedAt: 'blocked',
  emailSuppressedAt: 'email_suppressed',
  unsubscribedAt: 'unsubscribed',
};

export type PatientInput = {
  phone?: string | null;
  mrn?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  preferredName?: string | null;
  dob?: string | null;
  email?: string | null;
  tags?: string[];
  location?: string | null;
  provider?: string | null;
  timeZone?: string | null;
  phoneLineType?: 'mobile' | 'landline' | 'voip' | 'unknown';
  consentSource?: 'intake' | 'staff';
} & Partial<Record<ConsentField, boolean>> &
  Partial<Record<'optedOut' | 'blocked' | 'emailSuppressed' | 'unsubscribed', boolean>>;

const STATUS_INPUT: Record<'optedOut' | 'blocked' | 'emailSuppressed' | 'unsubscribed', StatusField> = {
  optedOut: 'optedOutAt',
  blocked: 'blockedAt',
  emailSuppressed: 'emailSuppressedAt',
  unsubscribed: 'unsubscribedAt',
};

const PAGE_SIZE_MAX = 100;

@Injectable()
export class PatientsService {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly audit: AuditService,
  ) {}

  private async defaultCountry(orgId: string): Promise<string> {
    return (await this.db.prisma.org.findUniqueOrThrow({ where: { id: orgId }, select: { defaultCountry: true } })).defaultCountry;
  }

  /**
   * Search by name, phone (typed in any format), MRN or date of birth. Every search that names
   * someone is an audit event, like opening their record.
   */
  async list(actor: Actor, input: { query?: string; page: number; pageSize: number }) {
    const where = await this.searchWhere(actor, input.query ?? '');
    const pageSize = Math.min(input.pageSize, PAGE_SIZE_MAX);
    const [total, rows] = await Promise.all([
      this.db.prisma.patient.count({ where }),
      this.db.prisma.patient.findMany({
        where,
        orderBy: [{ lastName: { sort: 'asc', nulls: 'last' } }, { firstName: { sort: 'asc', nulls: 'last' } }, { id: 'asc' }],
        skip: (input.page - 1) * pageSize,
        take: pageSize,
      }),
    ]);
    if (input.query?.trim()) {
      await this.audit.record(actor, { action: 'patient.searched', summary: `Searched patients (${total} found)`, data: { resultCount: total } });
    }
    return { patients: rows.map(summary), total, page: input.page, pageSize, pages: Math.max(1, Math.ceil(total / pageSize)) };
  }

  private async searchWhere(actor: Actor, raw: string): Promise<Prisma.PatientWhereInput> {
    // Stored names and MRNs are cleaned (see normalize): a pasted MRN-0001\u200b finds MRN-0001.
    const query = cleanName(raw);
    const base: Prisma.PatientWhereInput = { orgId: actor.orgId };
    if (!query) return base;
    const or: Prisma.PatientWhereInput[] = [];
    const phone = /\d{3}/.test(query) ? normalizePhone(query, await this.defaultCountry(actor.orgId)) : null;
    if (phone) or.push({ phone });
    const digits = query.replace(/\D/g, '');
    if (!phone && digits.length >= 4 && /^[\d\s().+-]+$/.test(query)) or.push({ phone: { contains: digits } });
    const dob = parseDob(query);
    if (dob && 'value' in dob) or.push({ dob: dob.value });
    or.push({ mrn: { equals: cleanIdentifier(query), mode: 'insensitive' } });
    if (isEmail(query)) or.push({ email: query.toLowerCase() });
    const words = query.split(/\s+/).filter((w) => /\p{L}/u.test(w));
    if (words.length) {
      or.push({
        AND: words.map((word) => ({
          OR: [
            { firstName: { startsWith: word, mode: 'insensitive' as const } },
            { lastName: { startsWith: word, mode: 'insensitive' as const } },
            { preferredName: { startsWith: word, mode: 'insensitive' as const } },
          ],
        })),
      });
    }
    return { ...base, OR: or };
  }

  async get(actor: Actor, patientId: string) {
    const patient = await this.db.prisma.patient.findFirst({
      where: { id: patientId, orgId: actor.orgId },
      include: { consentEvents: { orderBy: { createdAt: 'desc' }, take: 100 } },
    });
    if (!patient) throw new TRPCError({ code: 'NOT_FOUND', message: 'Patient not found.' });
    const sharedPhoneWith = patient.phone
      ? await this.db.prisma.patient.findMany({
          where: { orgId: actor.orgId, phone: patient.phone, id: { not: patient.id } },
          select: { id: true, firstName: true, lastName: true, mrn: true },
          take: 20,
        })
      : [];
    await this.audit.record(actor, { action: 'patient.viewed', summary: `Viewed ${displayName(patient)}`, targetType: 'patient', targetId: patient.id });
    const { consentEvents, ...fields } = patient;
    const actorIds = [...new Set(consentEvents.map((e) => e.actorId).filter((id): id is string => Boolean(id)))];
    const actors = actorIds.length ? await this.db.prisma.user.findMany({ where: { id: { in: actorIds } }, select: { id: true, name: true } }) : [];
    return {
      ...fields,
      displayName: displayName(patient),
      sharedPhoneWith,
      consentHistory: consentEvents.map((e) => ({ ...e, actorName: e.actorId ? (actors.find((a) => a.id === e.actorId)?.name ?? null) : null })),
    };
  }

  private async normalize(actor: Actor, input: PatientInput) {
    const errors: Record<string, string> = {};
    const data: Prisma.PatientUncheckedUpdateInput = {};
    const text = (v: string | null | undefined) => (v === undefined ? undefined : v?.trim() || null);
    if (input.phone !== undefined) {
      const raw = input.phone?.trim() ?? '';
      const phone = raw ? normalizePhone(raw, await this.defaultCountry(actor.orgId)) : null;
      if (raw && !phone) errors.phone = phoneExtension(raw) ? phoneExtensionMessage(raw) : `"${raw}" is not a valid phone number`;
      data.phone = phone;
    }
    if (input.email !== undefined) {
      const email = text(input.email);
      if (email && !isEmail(email)) errors.email = `"${email}" is not a valid email address`;
      data.email = email?.toLowerCase() ?? null;
    }
    if (input.dob !== undefined) {
      const parsed = input.dob ? parseDob(input.dob, this.clock.now()) : null;
      if (parsed && 'error' in parsed) errors.dob = parsed.error;
      data.dob = parsed && 'value' in parsed ? parsed.value : null;
    }
    // Names and MRNs lose invisible characters (zero-width, bidi overrides) and are normalized,
    // so "MRN-0001\u200b" is the same MRN as "MRN-0001", not a second patient.
    if (input.mrn !== undefined) data.mrn = input.mrn === null ? null : cleanIdentifier(input.mrn) || null;
    for (const key of ['firstName', 'lastName', 'preferredName'] as const) {
      if (input[key] !== undefined) data[key] = input[key] === null ? null : cleanName(input[key]) || null;
    }
    for (const key of ['location', 'provider', 'timeZone'] as const) {
      if (input[key] !== undefined) data[key] = text(input[key]);
    }
    if (input.tags !== undefined) data.tags = [...new Set(input.tags.map((t) => t.trim()).filter(Boolean))];
    if (input.phoneLineType !== undefined) data.phoneLineType = input.phoneLineType;
    for (const field of Object.keys(CONSENT_KIND) as ConsentField[]) if (input[field] !== undefined) data[field] = input[field];
    if (Object.keys(errors).length) {
      throw new TRPCError({ code: 'BAD_REQUEST', message: Object.values(errors).join('; '), cause: new FieldErrors(errors) });
    }
    return data;
  }

  async create(actor: Actor, input: PatientInput, source: 'staff' | 'conversation' = 'staff') {
    const data = await this.normalize(actor, input);
    if (!data.phone && !data.email && !data.mrn && !data.firstName && !data.lastName) {
      throw new TRPCError({ code: 'BAD_REQUEST', message: 'Enter at least a phone number, email, MRN or name.' });
    }
    const now = this.clock.now();
    try {
      const patient = await this.db.prisma.$transaction(async (tx) => {
        const created = await tx.patient.create({
          data: { ...(data as Prisma.PatientUncheckedCreateInput), orgId: actor.orgId, source, ...this.statusData(input, now) },
        });
        await this.recordConsent(tx, actor, created, input, now, null);
        await this.audit.record(actor, { action: 'patient.created', summary: `Created ${displayName(created)}`, targetType: 'patient', targetId: created.id }, tx);
        return created;
      });
      return summary(patient);
    } catch (error) {
      throw await this.mrnConflict(actor, error, data.mrn as string | null);
    }
  }

  async update(actor: Actor, patientId: string, input: PatientInput) {
    const before = await this.db.prisma.patient.findFirst({ where: { id: patientId, orgId: actor.orgId } });
    if (!before) throw new TRPCError({ code: 'NOT_FOUND', message: 'Patient not found.' });
    const data = await this.normalize(actor, input);
    const now = this.clock.now();
    try {
      const patient = await this.db.prisma.$transaction(async (tx) => {
        const updated = await tx.patient.update({ where: { id: before.id }, data: { ...data, ...this.statusData(input, now, before) } });
        await this.recordConsent(tx, actor, updated, input, now, before);
        const changed = Object.keys(data).filter((k) => JSON.stringify(before[k as keyof Patient]) !== JSON.stringify(updated[k as keyof Patient]));
        await this.audit.record(
          actor,
          { action: 'patient.updated', summary: `Updated ${displayName(updated)}${changed.length ? ` (${changed.join(', ')})` : ''}`, targetType: 'patient', targetId: updated.id },
          tx,
        );
        return updated;
      });
      return summary(patient);
    } catch (error) {
      throw await this.mrnConflict(actor, error, data.mrn as string | null);
    }
  }

  /**
   * The EHR sidebar: who is the patient on screen? The rules are matchPatient's (MRN, then
   * phone, then name + DOB). Null when nothing matches, so the sidebar can offer to create the
   * patient from the page; a hit whose MRN differs from the page's comes back as `differentMrn`,
   * one whose date of birth differs as `differentDob`, never as the patient.
   */
  async match(actor: Actor, input: MatchInput) {
    const phone = input.phone ? normalizePhone(input.phone, await this.defaultCountry(actor.orgId)) : null;
    const outcome = await matchPatient(input, phone, this.candidatesFromDb(actor.orgId));
    if (outcome.kind === 'several_candidates' || outcome.kind === 'no_patient') return { patient: null, matchedBy: null };
    const { patient, matchedBy } = outcome;
    if (outcome.kind !== 'matched') {
      const what = outcome.kind === 'different_mrn' ? 'different-MRN' : 'different-DOB';
      await this.audit.record(actor, { action: 'patient.viewed', summary: `Saw ${displayName(patient)} in the EHR sidebar as a ${what} candidate (same ${matchedBy})`, targetType: 'patient', targetId: patient.id });
      return outcome.kind === 'different_mrn' ? { patient: null, matchedBy: null, differentMrn: summary(patient) } : { patient: null, matchedBy: null, differentDob: summary(patient) };
    }
    await this.audit.record(actor, { action: 'patient.viewed', summary: `Opened ${displayName(patient)} in the EHR sidebar (matched by ${matchedBy})`, targetType: 'patient', targetId: patient.id });
    return { patient: summary(patient), matchedBy };
  }

  /**
   * "Patients on this page" in the EHR sidebar: each row of a list (a schedule, a worklist)
   * matched by the same rules as the sidebar's single patient, with candidates fetched in three
   * queries for the whole list. A row is matched (patient id and name) or unmatched with the
   * reason; a candidate that is not a match is never named. One audit event per call, with
   * counts only.
   */
  async matchMany(actor: Actor, rows: MatchInput[]) {
    const country = await this.defaultCountry(actor.orgId);
    const phones = rows.map((r) => (r.phone ? normalizePhone(r.phone, country) : null));
    const candidates = await this.candidatesForRows(actor.orgId, rows, phones);
    const results = [];
    for (const [index, row] of rows.entries()) {
      const outcome = await matchPatient(row, phones[index]!, candidates);
      results.push(
        outcome.kind === 'matched'
          ? { index, status: 'matched' as const, patient: { id: outcome.patient.id, displayName: displayName(outcome.patient) }, matchedBy: outcome.matchedBy }
          : { index, status: 'unmatched' as const, reason: outcome.kind },
      );
    }
    const matched = results.filter((r) => r.status === 'matched').length;
    await this.audit.record(actor, {
      action: 'patient.list_matched',
      summary: `Matched a list of ${rows.length} patients from an EHR page in the sidebar (${matched} matched, ${rows.length - matched} not)`,
      data: { rowCount: rows.length, matched, unmatched: rows.length - matched },
    });
    return { rows: results, matched, unmatched: rows.length - matched };
  }

  private candidatesFromDb(orgId: string): CandidateSource {
    const patient = this.db.prisma.patient;
    return {
      byMrn: (mrn) => patient.findFirst({ where: { orgId, mrn: { equals: mrn, mode: 'insensitive' } } }),
      byPhone: (phone) => patient.findMany({ where: { orgId, phone }, orderBy: { createdAt: 'asc' }, take: 20 }),
      byDob: (dob) => patient.findMany({ where: { orgId, dob }, take: 50 }),
    };
  }

  /** Every candidate a list of rows can need, in three queries, answered as candidatesFromDb would. */
  private async candidatesForRows(orgId: string, rows: MatchInput[], phones: (string | null)[]): Promise<CandidateSource> {
    const mrns = [...new Set(rows.map((r) => r.mrn?.trim()).filter((m): m is string => Boolean(m)))];
    const phoneSet = [...new Set(phones.filter((p): p is string => Boolean(p)))];
    const dobs = [...new Set(rows.filter((r) => r.firstName || r.lastName).map(dobOf).filter((d): d is string => Boolean(d)))];
    const patient = this.db.prisma.patient;
    const [byMrn, byPhone, byDob] = await Promise.all([
      mrns.length ? patient.findMany({ where: { orgId, OR: mrns.map((mrn) => ({ mrn: { equals: mrn, mode: 'insensitive' as const } })) }, orderBy: { createdAt: 'asc' } }) : [],
      phoneSet.length ? patient.findMany({ where: { orgId, phone: { in: phoneSet } }, orderBy: { createdAt: 'asc' } }) : [],
      dobs.length ? patient.findMany({ where: { orgId, dob: { in: dobs } }, orderBy: { createdAt: 'asc' } }) : [],
    ]);
    const group = (list: Patient[], key: (p: Patient) => string | null, cap: number) => {
      const map = new Map<string, Patient[]>();
      for (const p of list) {
        const k = key(p);
        if (!k) continue;
        const bucket = map.get(k) ?? [];
        if (bucket.length < cap) bucket.push(p);
        map.set(k, bucket);
      }
      return map;
    };
    const mrnMap = group(byMrn, (p) => p.mrn?.toLowerCase() ?? null, 1);
    const phoneMap = group(byPhone, (p) => p.phone, 20);
    const dobMap = group(byDob, (p) => p.dob, 50);
    return {
      byMrn: async (mrn) => mrnMap.get(mrn.toLowerCase())?.[0] ?? null,
      byPhone: async (phone) => phoneMap.get(phone) ?? [],
      byDob: async (dob) => dobMap.get(dob) ?? [],
    };
  }

  /** The new-conversation dialog: type a phone or email, get the patient(s) or a new record. */
  async findOrCreateByContact(actor: Actor, contact: string) {
    const value = contact.trim();
    const country = await this.defaultCountry(actor.orgId);
    const phone = normalizePhone(value, country);
    const email = !phone && isEmail(value) ? value.toLowerCase() : null;
    if (!phone && !email && phoneExtension(value)) throw new TRPCError({ code: 'BAD_REQUEST', message: phoneExtensionMessage(value) });
    if (!phone && !email) throw new TRPCError({ code: 'BAD_REQUEST', message: `"${value}" is neither a phone number nor an email address.` });
    const existing = await this.db.prisma.patient.findMany({ where: { orgId: actor.orgId, ...(phone ? { phone } : { email }) }, take: 20 });
    if (existing.length) return { created: false, patients: existing.map(summary) };
    const created = await this.create(actor, phone ? { phone } : { email }, 'conversation');
    return { created: true, patients: [created] };
  }

  private statusData(input: PatientInput, now: Date, before?: Patient) {
    const data: Partial<Record<StatusField, Date | null>> = {};
    for (const [key, field] of Object.entries(STATUS_INPUT) as [keyof typeof STATUS_INPUT, StatusField][]) {
      const want = input[key];
      if (want === undefined) continue;
      const had = Boolean(before?.[field]);
      if (want && !had) data[field] = now;
      if (!want && had) data[field] = null;
    }
    return data;
  }

  private async recordConsent(tx: Prisma.TransactionClient, actor: Actor, patient: Patient, input: PatientInput, now: Date, before: Patient | null) {
    const source = input.consentSource ?? 'staff';
    const events: Prisma.ConsentEventCreateManyInput[] = [];
    for (const field of Object.keys(CONSENT_KIND) as ConsentField[]) {
      const want = input[field];
      if (want === undefined || want === (before?.[field] ?? false)) continue;
      events.push({ orgId: actor.orgId, patientId: patient.id, kind: CONSENT_KIND[field], granted: want, source, actorId: actor.userId, createdAt: now });
    }
    for (const field of Object.keys(STATUS_KIND) as StatusField[]) {
      const was = Boolean(before?.[field]);
      const is = Boolean(patient[field]);
      if (was !== is) events.push({ orgId: actor.orgId, patientId: patient.id, kind: STATUS_KIND[field], granted: is, source: 'staff', actorId: actor.userId, createdAt: now });
    }
    if (events.length) await tx.consentEvent.createMany({ data: events });
  }

  private async mrnConflict(actor: Actor, error: unknown, mrn: string | null): Promise<unknown> {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002' && mrn) {
      const other = await this.db.prisma.patient.findFirst({ where: { orgId: actor.orgId, mrn } });
      return new TRPCError({ code: 'CONFLICT', message: `MRN ${mrn} already belongs to ${other ? displayName(other) : 'another patient'}.` });
    }
    return error;
  }
}

/** Carries per-field messages to the tRPC error formatter. */
export class FieldErrors extends Error {
  constructor(readonly fields: Record<string, string>) {
    super(Object.values(fields).join('; '));
  }
}

export function displayName(p: Pick<Patient, 'firstName' | 'lastName' | 'preferredName' | 'phone' | 'email' | 'mrn'>): string {
  const name = [p.preferredName || p.firstName, p.lastName].filter(Boolean).join(' ');
  return name || (p.phone ? formatPhoneForDisplay(p.phone) : null) || p.email || (p.mrn ? `MRN ${p.mrn}` : 'Unnamed patient');
}

function summary(p: Patient) {
  return {
    id: p.id,
    displayName: displayName(p),
    firstName: p.firstName,
    lastName: p.lastName,
    preferredName: p.preferredName,
    mrn: p.mrn,
    phone: p.phone,
    phoneLineType: p.phoneLineType,
    email: p.email,
    dob: p.dob,
    tags: p.tags,
    optedOut: p.optedOutAt !== null,
    blocked: p.blockedAt !== null,
    source: p.source,
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
  };
}
