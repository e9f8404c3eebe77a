import { ExecutorHeartbeatEvent, Subjects } from '@kiln/contracts';
import { PrismaService } from '@kiln/db';
import { EventConsumer } from '@kiln/messaging';
import { Injectable } from '@nestjs/common';

/** Keeps the `executors` table (GET /api/runners, lost-executor detection) current. */
@Injectable()
export class HeartbeatConsumer {
  constructor(private readonly prisma: PrismaService) {}

  @EventConsumer({ subject: Subjects.ExecutorHeartbeat, durable: 'scheduler-heartbeats', concurrency: 4, maxDeliver: 3 })
  async onHeartbeat(event: ExecutorHeartbeatEvent): Promise<void> {
    const sentAt = new Date(event.sentAt);
    const fields = {
      backend: event.backend,
      hostname: event.hostname,
      capacity: event.capacity,
      running: event.runningSteps.length,
      runningSteps: event.runningSteps,
      version: event.softwareVersion,
      startedAt: new Date(event.startedAt),
      lastHeartbeatAt: sentAt,
    };
    // An old heartbeat delivered late must not move last_heartbeat_at backwards.
    const updated = await this.prisma.executor.updateMany({
      where: { id: event.executorId, lastHeartbeatAt: { lt: sentAt } },
      data: fields,
    });
    if (updated.count === 0) {
      await this.prisma.executor.upsert({ where: { id: event.executorId }, create: { id: event.executorId, ...fields }, update: {} });
    }
  }
}
