import { Module } from '@nestjs/common';
import { BackendModule } from '../backend/backend.module';
import { StepCachesService } from '../caches/step-caches.service';
import { MetricsModule } from '../metrics/metrics.module';
import { RunCancelListener } from './run-cancel.listener';
import { RunFinishedListener } from './run-finished.listener';
import { RunningSteps } from './running-steps';
import { stepDispatchConsumerProvider } from './step-dispatch.consumer';
import { StepRunnerService } from './step-runner.service';

@Module({
  imports: [BackendModule, MetricsModule],
  providers: [RunningSteps, StepRunnerService, StepCachesService, stepDispatchConsumerProvider, RunCancelListener, RunFinishedListener],
  exports: [RunningSteps, StepRunnerService],
})
export class StepsModule {}
