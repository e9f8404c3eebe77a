import { Module } from '@nestjs/common';
import { ExecutorMetrics } from './executor-metrics';

@Module({ providers: [ExecutorMetrics], exports: [ExecutorMetrics] })
export class MetricsModule {}
