import { RunFinishedEvent, Subjects } from '@kiln/contracts';
import { MessagingService } from '@kiln/messaging';
import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { StepRunnerService } from './step-runner.service';

/**
 * Every executor hears every run end (a broadcast; the durable `kiln.run.finished` consumer that
 * removes the workspace reaches only one), so a dispatch of a finished run arriving late is dropped.
 */
@Injectable()
export class RunFinishedListener implements OnApplicationBootstrap {
  constructor(
    private readonly messaging: MessagingService,
    private readonly runner: StepRunnerService,
  ) {}

  onApplicationBootstrap(): void {
    this.messaging.subscribeBroadcast(Subjects.RunFinished, (event: RunFinishedEvent) =>
      this.runner.runFinished(event.runId),
    );
  }
}
