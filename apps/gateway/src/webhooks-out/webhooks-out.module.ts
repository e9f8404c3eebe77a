import { Module } from '@nestjs/common';
import { WebhooksOutController } from './webhooks-out.controller';
import { WebhooksOutService } from './webhooks-out.service';

@Module({ controllers: [WebhooksOutController], providers: [WebhooksOutService] })
export class WebhooksOutModule {}
