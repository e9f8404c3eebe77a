import { Module } from '@nestjs/common';
import { ArchivedLogService } from './archived-log.service';
import { LiveLogService } from './live-log.service';
import { LogFeed } from './log-feed';
import { LogsController } from './logs.controller';
import { LogsService } from './logs.service';

@Module({
  controllers: [LogsController],
  providers: [LogsService, LiveLogService, ArchivedLogService, LogFeed],
})
export class LogsModule {}
