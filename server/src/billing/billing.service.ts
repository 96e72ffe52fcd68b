import { Inject, Injectable } from '@nestjs/common';
import { TRPCError } from '@trpc/server';
import type { Actor } from '../access/access.service.js';
import { AuditService } from '../audit/audit.service.js';
import type { Database } from '../db/database.js';
import type { Prisma } from '../generated/prisma/client.js';
import { DATABASE } from '../injection-tokens.js';
import { CLOCK, type Clock } from '../clock.js';
import { BILLING_PROVIDER, type BillingProvider, PLAN_CATALOG, type PlanId } from './billing.provider.js';

/** Seats are the organization's staff: owners, admins and members (not external guests). */
const SEAT_ROLES = ['owner', 'admin', 'member'];

@Injectable()
export class BillingService {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(BILLING_PROVIDER) private readonly provider: BillingProvider,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly audit: AuditService,
  ) {}

  async countSeats(orgId: string, tx: Prisma.TransactionClient = this.db.prisma): Promise<number> {
    return tx.membership.count({ where: { orgId, role: { in: SEAT_ROLES } } });
  }

  async getPlan(actor: Actor) {
    const [org, subscription, seats] = await Promise.all([
      this.db.prisma.org.findUniqueOrThrow({ where: { id: actor.orgId } }),
      this.db.prisma.subscription.findUnique({ where: { orgId: actor.orgId } }),
      this.countSeats(actor.orgId),
    ]);
    const plan = org.plan as PlanId;
    const active = subscription?.status === 'active' ? subscription : null;
    return {
      plan,
      smsEnabled: org.smsEnabled,
      seats,
      catalog: (Object.keys(PLAN_CATALOG) as PlanId[]).map((id) => ({ id, ...PLAN_CATALOG[id] })),
      subscription: active && {
        plan: active.plan,
        seats: active.seats,
        pricePerSeatCents: active.pricePerSeatCents,
        monthlyTotalCents: active.seats * active.pricePerSeatCents,
        provider: active.provider,
        startedAt: active.startedAt,
      },
    };
  }

  /**
   * Checkout for the SMS plan. The org row is locked for the whole checkout, so two concurrent
   * checkouts (a double click) make exactly one subscription with the provider, and the second
   * one returns the first one's result.
   */
  async checkout(actor: Actor, plan: PlanId) {
    if (plan === 'free') return this.cancel(actor);
    await this.db.prisma.$transaction(
      async (tx) => {
        await tx.$queryRaw`SELECT id FROM "Org" WHERE id = ${actor.orgId} FOR UPDATE`;
        const previous = await tx.subscription.findUnique({ where: { orgId: actor.orgId } });
        if (previous?.status === 'active' && previous.plan === plan) return;
        const seats = await this.countSeats(actor.orgId, tx);
        const { providerRef } = await this.provider.createSubscription({ orgId: actor.orgId, plan, seats }).catch((error: unknown) => {
          throw new TRPCError({ code: 'BAD_GATEWAY', message: 'The billing provider did not accept the checkout. Nothing was charged; try again.', cause: error });
        });
        const price = PLAN_CATALOG[plan].pricePerSeatCents;
        const data = { plan, status: 'active', seats, pricePerSeatCents: price, provider: this.provider.id, providerRef, startedAt: this.clock.now(), canceledAt: null };
        await tx.subscription.upsert({ where: { orgId: actor.orgId }, create: { orgId: actor.orgId, ...data }, update: data });
        await tx.org.update({ where: { id: actor.orgId }, data: { plan, smsEnabled: true } });
        await this.audit.record(
          actor,
          {
            action: 'plan.changed',
            summary: `Upgraded to the ${PLAN_CATALOG[plan].name} plan (${seats} seat${seats === 1 ? '' : 's'} at $${(price / 100).toFixed(2)}/month each)`,
            targetType: 'org',
            targetId: actor.orgId,
            data: { from: previous?.status === 'active' ? previous.plan : 'free', to: plan, seats },
          },
          tx,
        );
      },
      { timeout: 20_000, maxWait: 20_000 },
    );
    return this.getPlan(actor);
  }

  async cancel(actor: Actor) {
    await this.db.prisma.$transaction(
      async (tx) => {
        await tx.$queryRaw`SELECT id FROM "Org" WHERE id = ${actor.orgId} FOR UPDATE`;
        const existing = await tx.subscription.findUnique({ where: { orgId: actor.orgId } });
        if (!existing || existing.status !== 'active') {
          throw new TRPCError({ code: 'BAD_REQUEST', message: 'The organization is already on the Free plan.' });
        }
        await this.provider.cancel(existing.providerRef);
        await tx.subscription.update({ where: { orgId: actor.orgId }, data: { status: 'canceled', canceledAt: this.clock.now() } });
        await tx.org.update({ where: { id: actor.orgId }, data: { plan: 'free', smsEnabled: false } });
        await this.audit.record(
          actor,
          { action: 'plan.changed', summary: 'Downgraded to the Free plan; SMS sending is off', targetType: 'org', targetId: actor.orgId, data: { from: existing.plan, to: 'free' } },
          tx,
        );
      },
      { timeout: 20_000, maxWait: 20_000 },
    );
    return this.getPlan(actor);
  }

  /** Called after membership changes so the subscription bills for the real head count. */
  async syncSeats(orgId: string): Promise<void> {
    const subscription = await this.db.prisma.subscription.findUnique({ where: { orgId } });
    if (!subscription || subscription.status !== 'active') return;
    const seats = await this.countSeats(orgId);
    if (seats === subscription.seats) return;
    await this.provider.updateSeats(subscription.providerRef, seats);
    await this.db.prisma.subscription.update({ where: { orgId }, data: { seats } });
  }
}
