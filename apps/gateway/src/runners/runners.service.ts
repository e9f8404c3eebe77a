import { Executor, PrismaService } from '@kiln/db';
import { Injectable } from '@nestjs/common';
import { Actor } from '../auth/actor';
import { requireScope } from '../auth/project-access.service';

/** An executor that sent no heartbeat for this long is listed as offline. */
export const ONLINE_WITHIN_MS = 30_000;
/** Long-gone executors stay out of the list; the table keeps them for the scheduler's bookkeeping. */
const LISTED_WITHIN_MS = 24 * 60 * 60 * 1000;

@Injectable()
export class RunnersService {
  constructor(private readonly prisma: PrismaService) {}

  async list(actor: Actor, includeOffline: boolean) {
    requireScope(actor, 'read');
    const now = Date.now();
    const since = new Date(now - (includeOffline ? LISTED_WITHIN_MS : ONLINE_WITHIN_MS));
    const rows = await this.prisma.executor.findMany({
      where: { lastHeartbeatAt: { gte: since } },
      orderBy: [{ backend: 'asc' }, { hostname: 'asc' }, { id: 'asc' }],
    });
    // Step ids of other tenants' runs are not theirs to see; platform admins get them.
    return { items: rows.map((e) => presentRunner(e, now, actor.isAdmin)), next_cursor: null };
  }
}

function presentRunner(e: Executor, now: number, withSteps: boolean) {
  return {
    id: e.id,
    backend: e.backend,
    hostname: e.hostname,
    version: e.version,
    capacity: e.capacity,
    running: e.running,
    load: e.capacity > 0 ? Math.round((e.running / e.capacity) * 100) / 100 : null,
    online: now - e.lastHeartbeatAt.getTime() <= ONLINE_WITHIN_MS,
    started_at: e.startedAt.toISOString(),
    last_heartbeat_at: e.lastHeartbeatAt.toISOString(),
    ...(withSteps ? { running_steps: e.runningSteps } : {}),
  };
}
