import { Module } from '@nestjs/common';
import { BackendModule } from '../backend/backend.module';
import { StepsModule } from '../steps/steps.module';
import { HeartbeatService } from './heartbeat.service';

@Module({ imports: [BackendModule, StepsModule], providers: [HeartbeatService], exports: [HeartbeatService] })
export class HeartbeatModule {}
