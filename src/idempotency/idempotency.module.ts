import { Module } from '@nestjs/common';
import { IdempotencyKeys } from './idempotency-keys';
import { IdempotencyService } from './idempotency.service';

@Module({
  providers: [IdempotencyService, IdempotencyKeys],
  exports: [IdempotencyService, IdempotencyKeys],
})
export class IdempotencyModule {}
