import { Global, Module } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { AuditController } from './audit.controller';
import { AuditGuard } from './audit.guard';
import { AuditInterceptor } from './audit.interceptor';
import { AuditLog } from './audit-log.repository';
import { AuditTrail } from './audit-trail';

/**
 * The audit trail: `@Audited` routes and personal-data reads are recorded by AuditGuard and
 * AuditInterceptor; `AuditTrail` is exported for changes made outside Nest routes (the dashboard).
 * Import it before AuthModule: its guard must be the first global guard.
 */
@Global()
@Module({
  controllers: [AuditController],
  providers: [
    AuditLog,
    AuditTrail,
    { provide: APP_GUARD, useClass: AuditGuard },
    { provide: APP_INTERCEPTOR, useClass: AuditInterceptor },
  ],
  exports: [AuditTrail],
})
export class AuditModule {}
