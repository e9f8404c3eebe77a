import { Module } from '@nestjs/common';
import { EXECUTOR_CONFIG } from '../config';
import { EXECUTOR_IDENTITY } from '../identity/executor-identity';
import { BACKEND } from './backend';
import { createBackend } from './backend.factory';
import { OrphanReaperService } from './orphan-reaper.service';

@Module({
  providers: [
    { provide: BACKEND, inject: [EXECUTOR_CONFIG, EXECUTOR_IDENTITY], useFactory: createBackend },
    OrphanReaperService,
  ],
  exports: [BACKEND],
})
export class BackendModule {}
