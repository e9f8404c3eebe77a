import { ExecutorHeartbeatEvent, Subjects } from '@kiln/contracts';
import { PrismaService } from '@kiln/db';
import { EventConsumer } from '@kiln/messaging';
import { Injectable } from '@nestjs/common';
import { storeHeartbeat } from './executor-rows';

/** Keeps the `executors` table (GET /api/runners, lost-executor detection) current. */
@Injectable()
export class HeartbeatConsumer {
  constructor(private readonly prisma: PrismaService) {}

  @EventConsumer({ subject: Subjects.ExecutorHeartbeat, durable: 'scheduler-heartbeats', concurrency: 4, maxDeliver: 3 })
  async onHeartbeat(event: ExecutorHeartbeatEvent): Promise<void> {
    await storeHeartbeat(this.prisma.pool, {
      id: event.executorId,
      backend: event.backend,
      hostname: event.hostname,
      capacity: event.capacity,
      running: event.runningSteps.length,
      runningSteps: event.runningSteps,
      version: event.softwareVersion,
      startedAt: new Date(event.startedAt),
      lastHeartbeatAt: new Date(event.sentAt),
    });
  }
}
