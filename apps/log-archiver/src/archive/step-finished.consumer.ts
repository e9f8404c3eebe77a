import { StepFinishedEvent, Subjects } from '@kiln/contracts';
import { EventConsumer, MessageContext } from '@kiln/messaging';
import { Injectable } from '@nestjs/common';
import { LogArchiverService } from './log-archiver.service';

@Injectable()
export class StepFinishedConsumer {
  constructor(private readonly archiver: LogArchiverService) {}

  // Many deliveries with long pauses ride out a storage or database outage of a quarter hour;
  // the handler's heartbeat keeps a short ack wait from redelivering a long archive.
  @EventConsumer({
    subject: Subjects.StepFinished,
    durable: 'log-archiver',
    concurrency: 4,
    maxDeliver: 20,
    ackWaitMs: 15_000,
    backoffMs: [1_000, 2_000, 5_000, 10_000, 30_000, 60_000],
  })
  handle(event: StepFinishedEvent, ctx: MessageContext): Promise<void> {
    return this.archiver.archive(event, ctx);
  }
}
