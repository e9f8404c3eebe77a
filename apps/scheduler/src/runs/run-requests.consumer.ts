import { RunCancelEvent, RunRequestedEvent, Subjects } from '@kiln/contracts';
import { EventConsumer } from '@kiln/messaging';
import { Injectable } from '@nestjs/common';
import { RunStateService } from '../state/run-state.service';
import { RunCreationService } from './run-creation.service';

@Injectable()
export class RunRequestsConsumer {
  constructor(
    private readonly creation: RunCreationService,
    private readonly state: RunStateService,
  ) {}

  @EventConsumer({ subject: Subjects.RunRequested, durable: 'scheduler-run-requested', concurrency: 8, ackWaitMs: 120_000 })
  onRunRequested(event: RunRequestedEvent): Promise<void> {
    return this.creation.handle(event);
  }

  @EventConsumer({ subject: Subjects.RunCancel, durable: 'scheduler-run-cancel', concurrency: 4 })
  async onRunCancel(event: RunCancelEvent): Promise<void> {
    await this.state.cancel(event.runId, event.requestedBy, event.reason);
  }
}
