import { Module } from '@nestjs/common';
import { EXECUTOR_CONFIG } from '../config';
import { BACKEND } from './backend';
import { createBackend } from './backend.factory';
import { OrphanReaperService } from './orphan-reaper.service';

@Module({
  providers: [
    { provide: BACKEND, inject: [EXECUTOR_CONFIG], useFactory: createBackend },
    OrphanReaperService,
  ],
  exports: [BACKEND],
})
export class BackendModule {}
