import { StepDispatchedEvent, Subjects } from '@kiln/contracts';
import { EventConsumer, MessageContext } from '@kiln/messaging';
import { Provider } from '@nestjs/common';
import { EXECUTOR_CONFIG, ExecutorConfig } from '../config';
import { StepRunnerService } from './step-runner.service';

export interface StepDispatchConsumer {
  onStepDispatched(event: StepDispatchedEvent, ctx: MessageContext): Promise<void>;
}

export const STEP_DISPATCH_CONSUMER = Symbol('STEP_DISPATCH_CONSUMER');

/**
 * The consumer of `kiln.step.dispatched`, pulling as many dispatches at once as the executor has
 * slots (KILN_EXECUTOR_CAPACITY). Decorator options are fixed when a class is declared, so the class
 * is declared once the configuration is known.
 */
export const stepDispatchConsumerProvider: Provider = {
  provide: STEP_DISPATCH_CONSUMER,
  inject: [StepRunnerService, EXECUTOR_CONFIG],
  useFactory: (runner: StepRunnerService, config: ExecutorConfig): StepDispatchConsumer => {
    class DispatchConsumer implements StepDispatchConsumer {
      @EventConsumer({
        subject: Subjects.StepDispatched,
        durable: 'pod-executor',
        concurrency: config.KILN_EXECUTOR_CAPACITY,
        ackWaitMs: 30_000,
        // A draining executor hands dispatches back; those returns must not use up the deliveries.
        maxDeliver: 50,
        backoffMs: [1_000, 2_000, 5_000],
      })
      onStepDispatched(event: StepDispatchedEvent, ctx: MessageContext): Promise<void> {
        return runner.run(event, ctx);
      }
    }
    return new DispatchConsumer();
  },
};
