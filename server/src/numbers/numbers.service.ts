import { Inject, Injectable } from '@nestjs/common';
import { formatPhoneForDisplay, normalizePhone, STATUS_RANK } from '@caretext/shared';
import { TRPCError } from '@trpc/server';
import { AccessService, type Actor, isAdmin } from '../access/access.service.js';
import { AuditService } from '../audit/audit.service.js';
import { CARRIER, type Carrier, CarrierError } from '../carriers/carrier.js';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import { EventBus } from '../events/event-bus.js';
import { MailService } from '../mail/mail.service.js';
import { CONFIG, DATABASE } from '../injection-tokens.js';
import { CLOCK, type Clock } from '../clock.js';
import { phoneLogCsv } from './phone-log.js';
import { releasedCancelText } from './released.js';

/** Whole days, either end open (checked by the caller: dateRangeProblem). */
export type DayRange = { from?: string; to?: string };

export const WEBHOOK_PATHS = { inbound: '/webhooks/twilio/inbound', status: '/webhooks/twilio/status' } as const;

@Injectable()
export class NumbersService {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CARRIER) private readonly carrier: Carrier,
    private readonly access: AccessService,
    private readonly audit: AuditService,
    private readonly mail: MailService,
    private readonly events: EventBus,
  ) {}

  private async requireSmsPlan(actor: Actor) {
    const org = await this.db.prisma.org.findUniqueOrThrow({ where: { id: actor.orgId } });
    if (!org.smsEnabled) {
      throw new TRPCError({ code: 'PRECONDITION_FAILED', message: 'Phone numbers need the SMS plan. Upgrade under Settings → Plan first.' });
    }
    return org;
  }

  async search(actor: Actor, areaCode: string) {
    const org = await this.requireSmsPlan(actor);
    try {
      const found = await this.carrier.searchAvailableNumbers({ country: org.defaultCountry, areaCode, limit: 10 });
      return found.map((n) => ({ ...n, display: formatPhoneForDisplay(n.phoneNumber) }));
    } catch (error) {
      throw carrierTrouble(error, 'search for numbers');
    }
  }

  /**
   * Buys the number with our webhooks set and ties it to a team. Buying one the org already owns
   * is a no-op. Every purchase is a new row, even of a number someone released before: the old
   * row keeps the old owner's conversations and opt-outs, so nothing of theirs reaches the new
   * owner (and nothing of the new owner's reaches them).
   */
  async buy(actor: Actor, input: { phoneNumber: string; teamId: string; locality?: string | null; region?: string | null }) {
    const team = await this.db.prisma.team.findFirst({ where: { id: input.teamId, orgId: actor.orgId } });
    if (!team) throw new TRPCError({ code: 'NOT_FOUND', message: 'Team not found.' });
    await this.requireSmsPlan(actor);
    const e164 = normalizePhone(input.phoneNumber);
    if (!e164) throw new TRPCError({ code: 'BAD_REQUEST', message: `"${input.phoneNumber}" is not a phone number.` });
    const existing = await this.db.prisma.phoneNumber.findFirst({ where: { e164, status: 'active' } });
    if (existing) {
      if (existing.orgId === actor.orgId) return this.view(existing.id);
      throw new TRPCError({ code: 'CONFLICT', message: 'That number is no longer available. Pick another.' });
    }
    let owned;
    try {
      owned = await this.carrier.buyNumber({
        phoneNumber: e164,
        smsUrl: this.config.publicUrl + WEBHOOK_PATHS.inbound,
        statusCallback: this.config.publicUrl + WEBHOOK_PATHS.status,
      });
    } catch (error) {
      throw carrierTrouble(error, 'buy the number');
    }
    let number;
    try {
      number = await this.db.prisma.$transaction(async (tx) => {
        const created = await tx.phoneNumber.create({ data: { orgId: actor.orgId, teamId: team.id, e164, carrierSid: owned.sid, locality: input.locality ?? null, region: input.region ?? null, status: 'active' } });
        await this.audit.record(actor, { action: 'number.purchased', summary: `Bought ${formatPhoneForDisplay(e164)} for the team ${team.name}`, targetType: 'phoneNumber', targetId: created.id }, tx);
        return created;
      });
    } catch (error) {
      // Two purchases of one number at once: the unique index on active numbers lets one win.
      if ((error as { code?: string }).code === 'P2002') throw new TRPCError({ code: 'CONFLICT', message: 'That number is no longer available. Pick another.' });
      throw error;
    }
    this.events.publish(actor.orgId, { type: 'teams.changed' });
    return this.view(number.id);
  }

  async list(actor: Actor) {
    const numbers = await this.db.prisma.phoneNumber.findMany({
      where: { orgId: actor.orgId, status: 'active' },
      include: { team: { include: { members: { include: { user: { select: { id: true, name: true, email: true } } } } } } },
      orderBy: { createdAt: 'asc' },
    });
    return numbers.map((n) => ({
      id: n.id,
      e164: n.e164,
      display: formatPhoneForDisplay(n.e164),
      locality: n.locality,
      region: n.region,
      messagesPerSecond: n.messagesPerSecond,
      team: { id: n.team.id, name: n.team.name, members: n.team.members.map((m) => m.user) },
      isMine: n.team.members.some((m) => m.userId === actor.userId),
      createdAt: n.createdAt,
    }));
  }

  private async view(id: string) {
    const n = await this.db.prisma.phoneNumber.findUniqueOrThrow({ where: { id }, include: { team: true } });
    return { id: n.id, e164: n.e164, display: formatPhoneForDisplay(n.e164), team: { id: n.team.id, name: n.team.name }, messagesPerSecond: n.messagesPerSecond };
  }

  async update(actor: Actor, numberId: string, input: { teamId?: string; messagesPerSecond?: number }) {
    const number = await this.db.prisma.phoneNumber.findFirst({ where: { id: numberId, orgId: actor.orgId, status: 'active' } });
    if (!number) throw new TRPCError({ code: 'NOT_FOUND', message: 'Phone number not found.' });
    if (input.teamId) {
      const team = await this.db.prisma.team.findFirst({ where: { id: input.teamId, orgId: actor.orgId } });
      if (!team) throw new TRPCError({ code: 'NOT_FOUND', message: 'Team not found.' });
    }
    await this.db.prisma.$transaction(async (tx) => {
      await tx.phoneNumber.update({ where: { id: number.id }, data: input });
      // The number's conversations go with it: the new team sees its history and its replies.
      if (input.teamId && input.teamId !== number.teamId) await tx.conversation.updateMany({ where: { phoneNumberId: number.id }, data: { teamId: input.teamId } });
      const parts = [input.teamId && input.teamId !== number.teamId ? 'moved to another team' : null, input.messagesPerSecond !== undefined ? `send rate ${number.messagesPerSecond} -> ${input.messagesPerSecond}/s` : null].filter(Boolean);
      await this.audit.record(actor, { action: 'number.updated', summary: `${formatPhoneForDisplay(number.e164)}: ${parts.join(', ') || 'saved'}`, targetType: 'phoneNumber', targetId: number.id, data: input }, tx);
    });
    this.events.publish(actor.orgId, { type: 'teams.changed' });
    return this.view(number.id);
  }

  async release(actor: Actor, numberId: string) {
    const number = await this.db.prisma.phoneNumber.findFirst({ where: { id: numberId, orgId: actor.orgId, status: 'active' } });
    if (!number) throw new TRPCError({ code: 'NOT_FOUND', message: 'Phone number not found.' });
    try {
      await this.carrier.releaseNumber(number.carrierSid);
    } catch (error) {
      throw carrierTrouble(error, 'release the number');
    }
    const now = this.clock.now();
    await this.db.prisma.$transaction(async (tx) => {
      await tx.phoneNumber.update({ where: { id: number.id }, data: { status: 'released', releasedAt: now } });
      // Messages still waiting (quiet hours) can no longer go from this number: cancel them
      // now, with the reason in the thread, rather than let them sit until their time comes.
      await tx.message.updateMany({
        where: { status: 'queued', direction: 'outbound', conversation: { phoneNumberId: number.id } },
        data: { status: 'canceled', statusRank: STATUS_RANK.canceled, errorMessage: releasedCancelText(number.e164, now) },
      });
      await this.audit.record(actor, { action: 'number.released', summary: `Released ${formatPhoneForDisplay(number.e164)}`, targetType: 'phoneNumber', targetId: number.id }, tx);
    });
    this.events.publish(actor.orgId, { type: 'teams.changed' });
  }

  async requestPort(actor: Actor, input: { phoneNumber: string; currentCarrier: string; authorizedName: string; authorizedEmail: string; accountNumber?: string; notes?: string }) {
    await this.requireSmsPlan(actor);
    const e164 = normalizePhone(input.phoneNumber);
    if (!e164) throw new TRPCError({ code: 'BAD_REQUEST', message: `"${input.phoneNumber}" is not a phone number.` });
    const org = await this.db.prisma.org.findUniqueOrThrow({ where: { id: actor.orgId } });
    const request = await this.db.prisma.$transaction(async (tx) => {
      const created = await tx.portRequest.create({ data: { ...input, phoneNumber: e164, orgId: actor.orgId, requestedById: actor.userId } });
      await this.audit.record(actor, { action: 'number.port_requested', summary: `Asked to port ${formatPhoneForDisplay(e164)} from ${input.currentCarrier}`, targetType: 'portRequest', targetId: created.id }, tx);
      return created;
    });
    await this.mail.send({
      to: this.config.supportEmail,
      subject: `Port-in request: ${formatPhoneForDisplay(e164)} for ${org.name}`,
      text: [
        `Organization: ${org.name} (${org.id})`,
        `Number: ${e164}`,
        `Current carrier: ${input.currentCarrier}`,
        `Authorized contact: ${input.authorizedName} <${input.authorizedEmail}>`,
        input.accountNumber ? `Account number: ${input.accountNumber}` : null,
        input.notes ? `Notes: ${input.notes}` : null,
        `Request id: ${request.id}`,
      ].filter(Boolean).join('\n'),
      tag: { kind: 'port-in', orgId: actor.orgId },
    });
    return { id: request.id, status: request.status };
  }

  /**
   * Directory → Phone numbers → Export phone logs, audited before any row is read. Admins export
   * any of the organization's numbers; a member, the numbers of the teams they are on (they send
   * from them and read their conversations already) and no other. Without a number: every number
   * the caller may export.
   */
  async exportPhoneLog(actor: Actor, numberId: string | null, range: DayRange): Promise<{ fileName: string; lines: AsyncGenerator<string> }> {
    const admin = isAdmin(actor.role);
    let numbers: { id: string; e164: string }[];
    let fileName: string;
    if (numberId) {
      const number = await this.db.prisma.phoneNumber.findFirst({ where: { id: numberId, orgId: actor.orgId } });
      if (!number) throw new TRPCError({ code: 'NOT_FOUND', message: 'Phone number not found.' });
      if (!admin && !(await this.access.teamIdsFor(actor)).includes(number.teamId)) {
        throw new TRPCError({ code: 'FORBIDDEN', message: "You can export the phone logs of your own teams' numbers. Ask an admin for this one." });
      }
      await this.audit.record(actor, { action: 'phonelog.exported', summary: `Exported the phone log of ${formatPhoneForDisplay(number.e164)}${rangeText(range)}`, targetType: 'phoneNumber', targetId: number.id });
      numbers = [number];
      fileName = `phone-log-${number.e164.replace('+', '')}${rangeFile(range)}.csv`;
    } else {
      const teamIds = admin ? null : await this.access.teamIdsFor(actor);
      numbers = await this.db.prisma.phoneNumber.findMany({ where: { orgId: actor.orgId, ...(teamIds ? { teamId: { in: teamIds } } : {}) }, select: { id: true, e164: true } });
      await this.audit.record(actor, { action: 'phonelog.exported', summary: `Exported the phone log of ${admin ? 'all numbers' : "their teams' numbers"} (${numbers.length})${rangeText(range)}`, targetType: 'phoneNumber', data: { numberIds: numbers.map((n) => n.id) } });
      fileName = `phone-log${admin ? '' : '-my-teams'}${rangeFile(range)}.csv`;
    }
    const org = await this.db.prisma.org.findUniqueOrThrow({ where: { id: actor.orgId } });
    return { fileName, lines: phoneLogCsv(this.db, actor, numbers, range, org.timeZone, this.clock.now()) };
  }

  async portRequests(actor: Actor) {
    const rows = await this.db.prisma.portRequest.findMany({ where: { orgId: actor.orgId }, orderBy: { createdAt: 'desc' } });
    return rows.map((r) => ({ id: r.id, phoneNumber: r.phoneNumber, display: formatPhoneForDisplay(r.phoneNumber), currentCarrier: r.currentCarrier, status: r.status, createdAt: r.createdAt }));
  }
}

const rangeText = ({ from, to }: DayRange) => (from || to ? ` (${from ?? '…'} to ${to ?? '…'})` : '');
const rangeFile = ({ from, to }: DayRange) => `${from ? `-${from}` : ''}${to ? `-to-${to}` : ''}`;

export function carrierTrouble(error: unknown, doing: string): TRPCError {
  if (error instanceof CarrierError) {
    return new TRPCError({ code: error.status === 404 || error.status === 400 ? 'BAD_REQUEST' : 'BAD_GATEWAY', message: `The carrier could not ${doing}: ${error.message}${error.code ? ` (error ${error.code})` : ''}`, cause: error });
  }
  return new TRPCError({ code: 'BAD_GATEWAY', message: `The carrier could not ${doing}. Try again in a minute.`, cause: error });
}
