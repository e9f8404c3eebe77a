import { Module } from '@nestjs/common';
import { PipelinesController } from './pipelines.controller';
import { PipelinesService } from './pipelines.service';
import { ValidateController } from './validate.controller';

@Module({
  controllers: [PipelinesController, ValidateController],
  providers: [PipelinesService],
  exports: [PipelinesService],
})
export class PipelinesModule {}
