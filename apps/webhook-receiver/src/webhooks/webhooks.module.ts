import { Module } from '@nestjs/common';
import { DeliveryLedgerService } from '../deliveries/delivery-ledger.service';
import { RunRequestPublisher } from '../deliveries/run-request.publisher';
import { ProjectRoutingService } from '../projects/project-routing.service';
import { WebhookSecretsService } from '../projects/webhook-secrets.service';
import { RunPlannerService } from '../triggers/run-planner.service';
import { TriggerFilterService } from '../triggers/trigger-filter.service';
import { DeliveryIntakeService } from './delivery-intake.service';
import { WebhooksController } from './webhooks.controller';

@Module({
  controllers: [WebhooksController],
  providers: [
    DeliveryIntakeService,
    ProjectRoutingService,
    WebhookSecretsService,
    TriggerFilterService,
    RunPlannerService,
    DeliveryLedgerService,
    RunRequestPublisher,
  ],
})
export class WebhooksModule {}
