import type { Database, DatabaseHealth } from '../db/database.js';
import type { EventBus, EventChannelHealth } from '../events/event-bus.js';

/** Where this instance is in its life: a load balancer sends it requests only when 'ready'. */
export type Lifecycle = 'starting' | 'ready' | 'stopping';

export class Readiness {
  state: Lifecycle = 'starting';
}

/** What /health and /health/ready report: this instance's state, its database and its event channel. */
export class HealthService {
  // One probe at a time: a burst of health checks is one `SELECT 1`.
  private inFlight: Promise<DatabaseHealth> | null = null;

  constructor(
    private readonly db: Database,
    readonly readiness: Readiness,
    private readonly bus: EventBus,
  ) {}

  /** In-process: always up. PostgreSQL NOTIFY: false while the LISTEN connection is reconnecting. */
  get events(): EventChannelHealth {
    return this.bus.health;
  }

  database(): Promise<DatabaseHealth> {
    return (this.inFlight ??= this.db.ping().finally(() => {
      this.inFlight = null;
    }));
  }
}
