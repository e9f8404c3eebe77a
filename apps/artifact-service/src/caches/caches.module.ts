import { Module } from '@nestjs/common';
import { CachesController } from './caches.controller';
import { CachesService } from './caches.service';

@Module({
  controllers: [CachesController],
  providers: [CachesService],
})
export class CachesModule {}
