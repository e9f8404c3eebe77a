import { RunCancelEvent, RunRequestedEvent, Subjects } from '@kiln/contracts';
import { EventConsumer, MessageContext } from '@kiln/messaging';
import { Injectable } from '@nestjs/common';
import { RunStateService } from '../state/run-state.service';
import { RunCreationService } from './run-creation.service';
import { isUnstorableValue } from './unstorable-value';

/** How often a run request being created (definition fetch, possibly a slow clone) tells JetStream it is alive. */
const WORKING_INTERVAL_MS = 5_000;

@Injectable()
export class RunRequestsConsumer {
  constructor(
    private readonly creation: RunCreationService,
    private readonly state: RunStateService,
  ) {}

  // A short ack wait kept alive while the handler works: requests a crashed scheduler held come
  // back within seconds, not after the longest definition fetch one could wait for.
  @EventConsumer({ subject: Subjects.RunRequested, durable: 'scheduler-run-requested', concurrency: 8, ackWaitMs: 15_000 })
  async onRunRequested(event: RunRequestedEvent, ctx: MessageContext): Promise<void> {
    const keepAlive = setInterval(() => ctx.working(), WORKING_INTERVAL_MS);
    try {
      await this.creation.handle(event);
    } catch (error) {
      // A refused value fails the same way on every delivery: record it as a failed run instead.
      if (!isUnstorableValue(error)) throw error;
      await this.creation.recordUnstorable(event);
    } finally {
      clearInterval(keepAlive);
    }
  }

  @EventConsumer({ subject: Subjects.RunCancel, durable: 'scheduler-run-cancel', concurrency: 4 })
  async onRunCancel(event: RunCancelEvent): Promise<void> {
    await this.state.cancel(event.runId, event.requestedBy, event.reason);
  }
}
