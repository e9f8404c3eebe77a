import { RunCancelEvent, Subjects } from '@kiln/contracts';
import { MessagingService } from '@kiln/messaging';
import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { StepRunnerService } from './step-runner.service';

/** Every executor hears every cancel (a broadcast, not a work queue): any of them may run the run's steps. */
@Injectable()
export class RunCancelListener implements OnApplicationBootstrap {
  constructor(
    private readonly messaging: MessagingService,
    private readonly runner: StepRunnerService,
  ) {}

  onApplicationBootstrap(): void {
    this.messaging.subscribeBroadcast(Subjects.RunCancel, (event: RunCancelEvent) =>
      this.runner.cancelRun(event),
    );
  }
}
