import { Module } from '@nestjs/common';
import { BackendModule } from '../backend/backend.module';
import { MetricsModule } from '../metrics/metrics.module';
import { RunArtifactsService } from './run-artifacts.service';
import { RunFinishedConsumer } from './run-finished.consumer';

@Module({
  imports: [BackendModule, MetricsModule],
  providers: [RunArtifactsService, RunFinishedConsumer],
})
export class ArtifactsModule {}
