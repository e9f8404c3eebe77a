import { Global, Module } from '@nestjs/common';
import { AuditReader } from './audit-reader.service';
import { AuditController } from './audit.controller';
import { AuditService } from './audit.service';

@Global()
@Module({
  controllers: [AuditController],
  providers: [AuditService, AuditReader],
  exports: [AuditService],
})
export class AuditModule {}
