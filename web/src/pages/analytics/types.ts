import type { RouterOutputs } from '../../lib/trpc';

export type BlastAnalytics = RouterOutputs['analytics']['blasts'];
export type AnalyticsFilters = RouterOutputs['analytics']['filters'];
export type AnalyticsDay = BlastAnalytics['days'][number];
