import { Module } from '@nestjs/common';
import { ExpirySweeper } from './expiry-sweeper.service';

@Module({
  providers: [ExpirySweeper],
})
export class SweeperModule {}
