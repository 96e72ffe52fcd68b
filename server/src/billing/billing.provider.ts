import { randomUUID } from 'node:crypto';
import type { Database } from '../db/database.js';

export type PlanId = 'free' | 'sms';

/** Prices shown on the Plan tab, per seat per month. */
export const PLAN_CATALOG: Record<PlanId, { name: string; pricePerSeatCents: number; features: string[] }> = {
  free: {
    name: 'Free',
    pricePerSeatCents: 0,
    features: ['Secure Chat with patients', 'Teams and members', 'Patient directory'],
  },
  sms: {
    name: 'SMS',
    pricePerSeatCents: 3000,
    features: ['Everything in Free', 'Text patients from your own number', 'Blasts to cohorts', 'Delivery analytics'],
  },
};

/**
 * The seam to a real billing company. The built-in provider records subscriptions in our own
 * database and charges nothing, so the plan flow works end to end before card processing exists.
 */
export interface BillingProvider {
  readonly id: string;
  createSubscription(input: { orgId: string; plan: PlanId; seats: number }): Promise<{ providerRef: string }>;
  updateSeats(providerRef: string, seats: number): Promise<void>;
  cancel(providerRef: string): Promise<void>;
}

export const BILLING_PROVIDER = Symbol('BILLING_PROVIDER');

export class BuiltinBillingProvider implements BillingProvider {
  readonly id = 'builtin';
  constructor(private readonly db: Database) {}

  async createSubscription(): Promise<{ providerRef: string }> {
    return { providerRef: `builtin_${randomUUID()}` };
  }

  async updateSeats(): Promise<void> {
    // The seat count lives on our Subscription row; nothing external to tell.
  }

  async cancel(): Promise<void> {}
}
