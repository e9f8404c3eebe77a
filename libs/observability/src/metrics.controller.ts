import { Controller, Get, Header, UseGuards } from '@nestjs/common';
import { register } from 'prom-client';
import { MetricsTokenGuard } from './metrics-token.guard';

/** Prometheus scrape endpoint over prom-client's default registry; behind a token when one is set. */
@Controller()
@UseGuards(MetricsTokenGuard)
export class MetricsController {
  @Get('metrics')
  @Header('Content-Type', register.contentType)
  metrics(): Promise<string> {
    return register.metrics();
  }
}
