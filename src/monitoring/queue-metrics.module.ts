import { Module } from '@nestjs/common';
import { QueueMetrics } from './queue-metrics';

@Module({
  providers: [QueueMetrics],
  exports: [QueueMetrics],
})
export class QueueMetricsModule {}
