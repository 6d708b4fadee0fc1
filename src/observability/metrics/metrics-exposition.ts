import { Injectable } from '@nestjs/common';
import type { MetricFamilyView } from '../dto/metrics-views.dto';
import { QueueSampler } from './queue-sampler';
import { ServiceMetrics } from './service-metrics';

/** What a scrape reads: memory only (queue counts were sampled), with in-process state refreshed. */
@Injectable()
export class MetricsExposition {
  constructor(
    private readonly metrics: ServiceMetrics,
    private readonly sampler: QueueSampler,
  ) {}

  text(): Promise<string> {
    this.sampler.refreshInProcess();
    return this.metrics.exposition();
  }

  async json(): Promise<MetricFamilyView[]> {
    this.sampler.refreshInProcess();
    const families = await this.metrics.registry.getMetricsAsJSON();
    return families.map((family) => ({
      name: family.name,
      help: family.help,
      type: String(family.type),
      samples: family.values.map((sample) => ({
        sample: (sample as { metricName?: string }).metricName ?? family.name,
        labels: Object.fromEntries(Object.entries(sample.labels).map(([name, value]) => [name, String(value)])),
        value: Number.isFinite(sample.value) ? sample.value : null,
      })),
    }));
  }
}
