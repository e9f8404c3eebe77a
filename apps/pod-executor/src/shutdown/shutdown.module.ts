import { Module } from '@nestjs/common';
import { HeartbeatModule } from '../heartbeat/heartbeat.module';
import { StepsModule } from '../steps/steps.module';
import { ExecutorShutdownService } from './executor-shutdown.service';

@Module({ imports: [StepsModule, HeartbeatModule], providers: [ExecutorShutdownService] })
export class ShutdownModule {}
