import { Module } from '@nestjs/common';
import { ArchiverMetrics } from './archiver-metrics';
import { LogArchiverService } from './log-archiver.service';
import { LogChunkReader } from './log-chunk.reader';
import { StepFinishedConsumer } from './step-finished.consumer';

@Module({
  providers: [StepFinishedConsumer, LogArchiverService, LogChunkReader, ArchiverMetrics],
})
export class ArchiveModule {}
