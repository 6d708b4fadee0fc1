import { Module } from '@nestjs/common';
import { JobRecords } from './job-records';

@Module({
  providers: [JobRecords],
  exports: [JobRecords],
})
export class PersistenceModule {}
