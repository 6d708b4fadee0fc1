import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { QueueRecord } from '../database/entities/queue-record.entity';
import { PersistenceModule } from '../persistence/persistence.module';
import { BullQueuesModule } from './bull.config';
import { QueueRegistry } from './queue-registry';
import { QueuesController } from './queues.controller';
import { QueuesService } from './queues.service';

@Module({
  imports: [BullQueuesModule, PersistenceModule, TypeOrmModule.forFeature([QueueRecord])],
  controllers: [QueuesController],
  providers: [QueueRegistry, QueuesService],
  exports: [QueueRegistry],
})
export class QueuesModule {}
