import { Inject, Injectable } from '@nestjs/common';
import { TRPCError } from '@trpc/server';
import type { Actor } from '../access/access.service.js';
import type { Database } from '../db/database.js';
import type { Prisma } from '../generated/prisma/client.js';
import { DATABASE } from '../injection-tokens.js';
import { CLOCK, type Clock } from '../clock.js';

/** Audit actions, in the product's words. The web app's filter lists these. */
export const AUDIT_ACTIONS = {
  'org.created': 'Organization created',
  'org.updated': 'Organization settings changed',
  'policy.changed': 'Policies changed',
  'plan.changed': 'Plan changed',
  'member.invited': 'Member invited',
  'invite.revoked': 'Invite revoked',
  'invite.accepted': 'Invite accepted',
  'join.requested': 'Asked to join',
  'join.approved': 'Join request approved',
  'join.rejected': 'Join request rejected',
  'member.role_changed': 'Role changed',
  'member.removed': 'Member removed',
  'member.left': 'Member left',
  'team.created': 'Team created',
  'team.renamed': 'Team renamed',
  'team.deleted': 'Team deleted',
  'team.member_added': 'Added to team',
  'team.member_removed': 'Removed from team',
  'joincode.regenerated': 'Join code regenerated',
  'patient.viewed': 'Patient record viewed',
  'patient.searched': 'Patients searched',
  'patient.list_matched': 'EHR page list matched (sidebar)',
  'patient.created': 'Patient created',
  'patient.updated': 'Patient updated',
  'import.uploaded': 'Patient CSV uploaded',
  'import.confirmed': 'Patient import started',
  'import.cancelled': 'Patient import cancelled',
  'import.finished': 'Patient import finished',
  'number.purchased': 'Phone number purchased',
  'number.updated': 'Phone number changed',
  'number.released': 'Phone number released',
  'number.port_requested': 'Port-in requested',
  'patient.opted_out': 'Patient opted out (STOP)',
  'patient.opted_in': 'Patient opted back in (START)',
  'conversation.viewed': 'Conversation viewed',
  'conversation.replies_changed': 'Portal replies turned on or off',
  'conversation.started': 'Internal chat started',
  'conversation.participants_added': 'People added to an internal chat',
  'conversation.participant_removed': 'Person removed from an internal chat',
  'conversation.invite_removed': 'External invitation withdrawn',
  'conversation.left': 'Left an internal chat',
  'message.sent': 'Message sent',
  'external.invited': 'External collaborator invited (email sent)',
  'external.joined': 'External collaborator joined',
  'external.reinvited': 'External invitation re-sent (new link)',
  'message.phi_override': 'PHI warning overridden (sent as SMS)',
  'portal.link_sent': 'Secure portal link sent',
  'portal.opened': 'Secure portal link opened',
  'portal.verified': 'Portal: date of birth verified',
  'portal.verify_failed': 'Portal: wrong date of birth',
  'portal.locked': 'Portal link locked (wrong dates of birth)',
  'phonelog.exported': 'Phone log exported',
  'attachment.uploaded': 'File uploaded',
  'attachment.recalled': 'File recalled',
  'message.recalled': 'Message recalled',
  'recall.retrieved': 'Recalled content retrieved',
  'attachment.downloaded': 'File downloaded',
  'template.changed': 'Template changed',
  'cohort.created': 'Cohort created',
  'cohort.updated': 'Cohort changed',
  'cohort.deleted': 'Cohort deleted',
  'cohort.previewed': 'Cohort patients previewed',
  'blast.sent': 'SMS blast sent',
  'blast.recipients_viewed': 'Blast recipients viewed',
  'blast.selection_viewed': 'Blast selection viewed',
  'blast.retried': 'Blast failed messages retried',
  'blast.recipients_added': 'Blast recipients added',
  'blast.image_uploaded': 'Blast image uploaded',
  'blast.canceled': 'SMS blast canceled',
  'blast.test_sent': 'Blast test sent to self',
  'broadcast.uploaded': 'CSV broadcast file uploaded',
  'broadcast.reuploaded': 'CSV broadcast file uploaded again',
  'broadcast.previewed': 'CSV broadcast previewed',
  'broadcast.viewed': 'CSV broadcast viewed',
  'broadcast.sent': 'CSV broadcast sent',
  'account.phone_changed': 'Own phone number changed',
  'ehr_adapter.changed': 'EHR adapter changed',
  'ehr_origin.changed': 'Approved EHR origins changed',
} as const;
export type AuditAction = keyof typeof AUDIT_ACTIONS;

export type AuditEntry = {
  action: AuditAction;
  summary: string;
  targetType?: string;
  targetId?: string;
  data?: Prisma.InputJsonValue;
};

type Writer = Pick<Prisma.TransactionClient, 'auditEvent'>;

export type AuditFilter = {
  action?: string;
  actorId?: string;
  from?: Date;
  to?: Date;
  cursor?: string;
  limit: number;
};

@Injectable()
export class AuditService {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Pass the transaction client so the event commits (or not) with the change it records. */
  /** `userId` null: the system did it (a patient's STOP, a finished import). */
  async record(actor: { orgId: string; userId: string | null; ip: string | null }, entry: AuditEntry, tx: Writer = this.db.prisma): Promise<void> {
    await tx.auditEvent.create({
      data: {
        orgId: actor.orgId,
        actorId: actor.userId,
        ip: actor.ip,
        action: entry.action,
        summary: entry.summary,
        targetType: entry.targetType,
        targetId: entry.targetId,
        data: entry.data,
        createdAt: this.clock.now(),
      },
    });
  }

  async list(actor: Actor, filter: AuditFilter) {
    if (filter.cursor && !(await this.db.prisma.auditEvent.findFirst({ where: { id: filter.cursor, orgId: actor.orgId }, select: { id: true } }))) {
      throw new TRPCError({ code: 'NOT_FOUND', message: 'That page of the audit log no longer exists. Reload the list.' });
    }
    const rows = await this.db.prisma.auditEvent.findMany({
      where: {
        orgId: actor.orgId,
        action: filter.action,
        actorId: filter.actorId,
        createdAt: { gte: filter.from, lte: filter.to },
      },
      include: { actor: { select: { id: true, name: true, email: true } } },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      cursor: filter.cursor ? { id: filter.cursor } : undefined,
      skip: filter.cursor ? 1 : 0,
      take: filter.limit + 1,
    });
    const page = rows.slice(0, filter.limit);
    return {
      events: page.map((e) => ({
        id: e.id,
        action: e.action,
        actionLabel: AUDIT_ACTIONS[e.action as AuditAction] ?? e.action,
        summary: e.summary,
        targetType: e.targetType,
        targetId: e.targetId,
        actor: e.actor,
        ip: e.ip,
        createdAt: e.createdAt,
      })),
      nextCursor: rows.length > filter.limit ? page[page.length - 1]!.id : null,
    };
  }
}
