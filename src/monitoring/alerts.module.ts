import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AlertRecord } from './alert-record.entity';
import { AlertRecords } from './alert-records';
import { AlertsService } from './alerts.service';

@Module({
  imports: [TypeOrmModule.forFeature([AlertRecord])],
  providers: [AlertsService, AlertRecords],
  exports: [AlertsService, AlertRecords],
})
export class AlertsModule {}
