import { Inject, Injectable } from '@nestjs/common';
import { formatPhoneForDisplay, normalizePhone, phoneExtension } from '@caretext/shared';
import { TRPCError } from '@trpc/server';
import { AuditService } from '../audit/audit.service.js';
import type { Database } from '../db/database.js';
import { DATABASE } from '../injection-tokens.js';

/**
 * The signed-in person's own settings. Today: their mobile number, where "Send Test to Me"
 * (blasts.sendTest) texts a blast's rendered message.
 */
@Injectable()
export class AccountService {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    private readonly audit: AuditService,
  ) {}

  async get(userId: string) {
    const user = await this.db.prisma.user.findUniqueOrThrow({ where: { id: userId }, select: { id: true, name: true, email: true, phone: true } });
    return user;
  }

  /** Sets (E.164, through the shared phone parser) or clears (empty) the caller's own phone; audited in the active org. */
  async setPhone(user: { id: string }, actor: { orgId: string; userId: string; ip: string | null } | null, input: string) {
    const text = input.trim();
    let phone: string | null = null;
    if (text) {
      if (phoneExtension(text)) throw new TRPCError({ code: 'BAD_REQUEST', message: 'Enter a mobile number without an extension: texts cannot reach an extension.' });
      phone = normalizePhone(text);
      if (!phone) throw new TRPCError({ code: 'BAD_REQUEST', message: 'Enter a mobile number, e.g. (415) 555-0134 or +44 7700 900123.' });
    }
    await this.db.prisma.user.update({ where: { id: user.id }, data: { phone } });
    // Audited in the active org, if the person is (still) a member there.
    if (actor && (await this.db.prisma.membership.findFirst({ where: { orgId: actor.orgId, userId: user.id } }))) {
      await this.audit.record(actor, {
        action: 'account.phone_changed',
        summary: phone ? `Set their own phone to ${formatPhoneForDisplay(phone)}` : 'Removed their own phone',
        targetType: 'user',
        targetId: user.id,
      });
    }
    return this.get(user.id);
  }
}
