import { NetGuard, netGuardFrom, RepoGuard, repoGuardFrom } from '@kiln/net-guard';
import { Module } from '@nestjs/common';
import { SCHEDULER_CONFIG, SchedulerConfig } from './config';
import { StepDispatcherService } from './dispatch/step-dispatcher.service';
import { HeartbeatConsumer } from './executors/heartbeat.consumer';
import { GitCacheService } from './git/git-cache.service';
import { CommitStatusService } from './outcomes/commit-status.service';
import { NotifierConsumer } from './outcomes/notifier.consumer';
import { OutboundWebhookService } from './outcomes/outbound-webhook.service';
import { RunOutcomeService } from './outcomes/run-outcome.service';
import { DefinitionLoaderService } from './runs/definition-loader.service';
import { RunCreationService } from './runs/run-creation.service';
import { RunRequestsConsumer } from './runs/run-requests.consumer';
import { RunStateService } from './state/run-state.service';
import { PipelineScheduleService } from './schedule/pipeline-schedule.service';
import { StepEventsConsumer } from './state/step-events.consumer';
import { WatchdogService } from './watchdog/watchdog.service';

@Module({
  providers: [
    {
      provide: NetGuard,
      useFactory: (config: SchedulerConfig) => netGuardFrom(config),
      inject: [SCHEDULER_CONFIG],
    },
    {
      provide: RepoGuard,
      useFactory: (config: SchedulerConfig) => repoGuardFrom(config),
      inject: [SCHEDULER_CONFIG],
    },
    GitCacheService,
    DefinitionLoaderService,
    RunCreationService,
    RunStateService,
    StepDispatcherService,
    RunOutcomeService,
    CommitStatusService,
    OutboundWebhookService,
    NotifierConsumer,
    RunRequestsConsumer,
    StepEventsConsumer,
    HeartbeatConsumer,
    WatchdogService,
    PipelineScheduleService,
  ],
})
export class SchedulerModule {}
