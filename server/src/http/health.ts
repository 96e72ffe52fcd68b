import type { Express, Request, Response } from 'express';
import { RETRY_AFTER_SECONDS } from '../db/unavailable.js';
import type { HealthService } from '../health/health.service.js';

/**
 * - `GET /health`: liveness. Always 200 `{ ok: true, ... }` while the process answers (the
 *   contract: a restart would not bring a database back), with what it knows of the database
 *   and the event channel.
 * - `GET /health/ready`: readiness. 200 once migrations ran, workers started and the database
 *   answers; 503 with Retry-After while starting, stopping, or while the database is away.
 */
export function mountHealth(app: Express, health: HealthService): void {
  app.get('/health', async (_req: Request, res: Response) => {
    res.json({ ok: true, state: health.readiness.state, database: await health.database(), events: health.events });
  });

  app.get('/health/ready', async (_req: Request, res: Response) => {
    const db = await health.database();
    const state = health.readiness.state;
    const ready = state === 'ready' && db.ok;
    if (!ready) res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
    res.status(ready ? 200 : 503).json({ ready, state, database: db, events: health.events });
  });
}
