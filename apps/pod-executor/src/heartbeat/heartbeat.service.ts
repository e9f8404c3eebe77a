import { Subjects } from '@kiln/contracts';
import { MessagingService } from '@kiln/messaging';
import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Backend, BACKEND } from '../backend/backend';
import { EXECUTOR_CONFIG, ExecutorConfig } from '../config';
import { EXECUTOR_IDENTITY, ExecutorIdentity } from '../identity/executor-identity';
import { RunningSteps } from '../steps/running-steps';

export const HEARTBEAT_INTERVAL_MS = 5000;

/**
 * Announces this executor every 5 s (id, backend, capacity, running steps): the API lists executors
 * from it, and the scheduler declares an executor lost when it falls silent.
 */
@Injectable()
export class HeartbeatService implements OnApplicationBootstrap {
  private readonly logger = new Logger(HeartbeatService.name);
  private timer?: NodeJS.Timeout;
  private sent = 0;
  private sending?: Promise<void>;

  constructor(
    private readonly messaging: MessagingService,
    private readonly running: RunningSteps,
    @Inject(BACKEND) private readonly backend: Backend,
    @Inject(EXECUTOR_CONFIG) private readonly config: ExecutorConfig,
    @Inject(EXECUTOR_IDENTITY) private readonly identity: ExecutorIdentity,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => void this.beat(), HEARTBEAT_INTERVAL_MS);
  }

  /** Stops the periodic heartbeat and sends a last one, so the executor's final state is known at once. */
  async stop(capacity: number): Promise<void> {
    clearInterval(this.timer);
    await this.sending;
    await this.beat(capacity);
  }

  private beat(capacity = this.config.KILN_EXECUTOR_CAPACITY): Promise<void> {
    this.sending ??= this.send(capacity).finally(() => (this.sending = undefined));
    return this.sending;
  }

  private async send(capacity: number): Promise<void> {
    const n = ++this.sent;
    try {
      await this.messaging.publish(
        Subjects.ExecutorHeartbeat,
        {
          version: 1,
          executorId: this.identity.id,
          backend: this.backend.kind,
          hostname: this.identity.hostname,
          capacity,
          runningSteps: this.running.keys(),
          softwareVersion: this.identity.softwareVersion,
          startedAt: this.identity.startedAt,
          sentAt: new Date().toISOString(),
        },
        { msgId: `hb:${this.identity.id}:${n}` },
      );
    } catch (error) {
      // A missed heartbeat is repaired by the next one; the scheduler tolerates several.
      this.logger.warn({ error: (error as Error).message }, 'heartbeat not sent');
    }
  }
}
