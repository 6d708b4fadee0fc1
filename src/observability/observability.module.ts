import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { DeadLetterStoreModule } from '../dead-letters/dead-letter-store.module';
import { JobsModule } from '../jobs/jobs.module';
import { QueueStoreModule } from '../queue-store/queue-store.module';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { DependencyChecks } from './health/dependency-checks';
import { HealthController } from './health/health.controller';
import { ProviderProbes } from './health/provider-probes';
import { StartupState } from './health/startup-state';
import { HttpMetricsMiddleware } from './metrics/http-metrics.middleware';
import { JobMetricsListener } from './metrics/job-metrics.listener';
import { MetricsExposition } from './metrics/metrics-exposition';
import { MetricsPortServer } from './metrics/metrics-port.server';
import { MetricsController } from './metrics/metrics.controller';
import { QueueMetricsSchedule } from './metrics/queue-metrics-schedule';
import { QueueSampler } from './metrics/queue-sampler';
import { QueueStats } from './metrics/queue-stats';
import { ScrapeAccessGuard } from './metrics/scrape-access.guard';
import { ServiceMetrics } from './metrics/service-metrics';
import { SystemStats } from './metrics/system-stats';

/**
 * Prometheus metrics (`/metrics*`), the health probes (`/health/*`) and the queue_metrics
 * schedule. It reads the other modules' state and writes nothing but metrics.
 */
@Module({
  // Terminus logs a failed check itself; the probe's answer already says what is down.
  imports: [TerminusModule.forRoot({ logger: false }), QueueStoreModule, RateLimitModule, DeadLetterStoreModule, JobsModule],
  controllers: [MetricsController, HealthController],
  providers: [
    ServiceMetrics,
    JobMetricsListener,
    QueueSampler,
    MetricsExposition,
    MetricsPortServer,
    QueueStats,
    SystemStats,
    ScrapeAccessGuard,
    QueueMetricsSchedule,
    DependencyChecks,
    ProviderProbes,
    StartupState,
  ],
  exports: [ServiceMetrics],
})
export class ObservabilityModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware).forRoutes('*path');
  }
}
