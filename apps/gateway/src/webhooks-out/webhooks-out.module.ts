import { NetGuard, netGuardFrom } from '@kiln/net-guard';
import { Module } from '@nestjs/common';
import { GATEWAY_CONFIG, GatewayConfig } from '../config';
import { WebhooksOutController } from './webhooks-out.controller';
import { WebhooksOutService } from './webhooks-out.service';

@Module({
  controllers: [WebhooksOutController],
  providers: [
    WebhooksOutService,
    {
      provide: NetGuard,
      useFactory: (config: GatewayConfig) => netGuardFrom(config),
      inject: [GATEWAY_CONFIG],
    },
  ],
})
export class WebhooksOutModule {}
