import { Module } from '@nestjs/common';
import { PipelinesModule } from '../pipelines/pipelines.module';
import { AllRunsController } from './all-runs.controller';
import { GitRefService } from './git-ref.service';
import { RunCommandsService } from './run-commands.service';
import { RunsController } from './runs.controller';
import { RunsService } from './runs.service';

@Module({
  imports: [PipelinesModule],
  controllers: [RunsController, AllRunsController],
  providers: [RunsService, RunCommandsService, GitRefService],
  exports: [RunsService],
})
export class RunsModule {}
