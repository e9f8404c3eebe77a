import { Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { WEBHOOK_CONFIG, WebhookConfig } from '../config';
import { DeliveryLedgerService } from '../deliveries/delivery-ledger.service';
import { RunRequestPublisher } from '../deliveries/run-request.publisher';
import { ProjectRoutingService } from '../projects/project-routing.service';
import { WebhookSecretsService } from '../projects/webhook-secrets.service';
import { GithubProvider } from '../providers/github.provider';
import { GitlabProvider } from '../providers/gitlab.provider';
import { WebhookProviders } from '../providers/webhook-providers';
import { RunPlannerService } from '../triggers/run-planner.service';
import { TriggerFilterService } from '../triggers/trigger-filter.service';
import { DeliveryIntakeService } from './delivery-intake.service';
import { WebhooksController } from './webhooks.controller';

@Module({
  imports: [
    // Per client address and per replica (in memory): a flood is cut off where it lands.
    ThrottlerModule.forRootAsync({
      inject: [WEBHOOK_CONFIG],
      useFactory: (config: WebhookConfig) => ({
        throttlers: [{ limit: config.KILN_WEBHOOK_RATE_LIMIT, ttl: config.KILN_WEBHOOK_RATE_WINDOW_MS }],
        skipIf: () => config.KILN_WEBHOOK_RATE_LIMIT === 0,
        errorMessage: `too many deliveries from this address; at most ${config.KILN_WEBHOOK_RATE_LIMIT} per ${config.KILN_WEBHOOK_RATE_WINDOW_MS / 1000} s`,
      }),
    }),
  ],
  controllers: [WebhooksController],
  providers: [
    DeliveryIntakeService,
    WebhookProviders,
    GithubProvider,
    GitlabProvider,
    ProjectRoutingService,
    WebhookSecretsService,
    TriggerFilterService,
    RunPlannerService,
    DeliveryLedgerService,
    RunRequestPublisher,
  ],
})
export class WebhooksModule {}
