import { StepDecidedEvent, StepFinishedEvent, StepLogArchivedEvent, StepStartedEvent, Subjects } from '@kiln/contracts';
import { EventConsumer } from '@kiln/messaging';
import { Injectable } from '@nestjs/common';
import { RunStateService } from './run-state.service';

@Injectable()
export class StepEventsConsumer {
  constructor(private readonly state: RunStateService) {}

  @EventConsumer({ subject: Subjects.StepStarted, durable: 'scheduler-step-started', concurrency: 8 })
  onStepStarted(event: StepStartedEvent): Promise<void> {
    return this.state.stepStarted(event);
  }

  @EventConsumer({ subject: Subjects.StepFinished, durable: 'scheduler-step-finished', concurrency: 8 })
  onStepFinished(event: StepFinishedEvent): Promise<void> {
    return this.state.stepFinished(event);
  }

  @EventConsumer({ subject: Subjects.StepDecided, durable: 'scheduler-step-decided', concurrency: 4 })
  onStepDecided(event: StepDecidedEvent): Promise<void> {
    return this.state.approvalDecided(event);
  }

  @EventConsumer({ subject: Subjects.StepLogArchived, durable: 'scheduler-step-log-archived', concurrency: 4 })
  onStepLogArchived(event: StepLogArchivedEvent): Promise<void> {
    return this.state.logArchived(event);
  }
}
