import { RunFinishedEvent, Subjects } from '@kiln/contracts';
import { EventConsumer, MessageContext } from '@kiln/messaging';
import { Injectable } from '@nestjs/common';
import { RunArtifactsService } from './run-artifacts.service';

@Injectable()
export class RunFinishedConsumer {
  constructor(private readonly artifacts: RunArtifactsService) {}

  @EventConsumer({
    subject: Subjects.RunFinished,
    durable: 'pod-executor-run-finished',
    concurrency: 2,
    ackWaitMs: 120_000,
    maxDeliver: 6,
    backoffMs: [5_000, 30_000, 120_000, 600_000, 1_800_000],
  })
  onRunFinished(event: RunFinishedEvent, ctx: MessageContext): Promise<void> {
    return this.artifacts.runFinished(event, () => ctx.working());
  }
}
