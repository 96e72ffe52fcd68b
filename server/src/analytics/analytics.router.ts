import { z } from 'zod';
import { orgProcedure, router } from '../trpc/trpc.js';
import type { AnalyticsService } from './analytics.service.js';

const id = z.string().min(1).max(64);
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'Use YYYY-MM-DD.');

/** Counts only. Who sees what (admins: the org; members: their teams) is the service's first check. */
export function analyticsRouter(analytics: AnalyticsService) {
  return router({
    filters: orgProcedure.query(({ ctx }) => analytics.filters(ctx.actor)),
    blasts: orgProcedure
      .input(z.object({ firstDay: day, lastDay: day, teamId: id.optional(), phoneNumberId: id.optional() }))
      .query(({ ctx, input }) => analytics.blasts(ctx.actor, ctx.org, input)),
  });
}
