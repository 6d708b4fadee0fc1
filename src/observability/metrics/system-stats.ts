import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { cpus, loadavg } from 'node:os';
import { IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { AppConfig } from '../../config/app-config';
import type { SystemStatsView } from '../dto/metrics-views.dto';

/** This process: memory, CPU, event-loop delay and uptime. */
@Injectable()
export class SystemStats implements OnModuleDestroy {
  private readonly loopDelay: IntervalHistogram = monitorEventLoopDelay({ resolution: 20 });
  private lastCpu = process.cpuUsage();
  private lastAt = process.hrtime.bigint();

  constructor(private readonly config: AppConfig) {
    this.loopDelay.enable();
  }

  onModuleDestroy(): void {
    this.loopDelay.disable();
  }

  read(): SystemStatsView {
    const memory = process.memoryUsage();
    const cpu = process.cpuUsage();
    const now = process.hrtime.bigint();
    const elapsedMicros = Number(now - this.lastAt) / 1000;
    const usedMicros = cpu.user - this.lastCpu.user + (cpu.system - this.lastCpu.system);
    this.lastCpu = cpu;
    this.lastAt = now;
    const ms = (nanos: number) => (Number.isFinite(nanos) ? Math.round(nanos / 1e4) / 100 : 0);
    return {
      role: this.config.appRole,
      uptimeSeconds: Math.round(process.uptime()),
      nodeVersion: process.version,
      pid: process.pid,
      memory: {
        rssBytes: memory.rss,
        heapUsedBytes: memory.heapUsed,
        heapTotalBytes: memory.heapTotal,
        externalBytes: memory.external,
      },
      cpu: {
        userSeconds: cpu.user / 1e6,
        systemSeconds: cpu.system / 1e6,
        percent: elapsedMicros > 0 ? Math.round((usedMicros / elapsedMicros) * 1000) / 10 : 0,
        cores: cpus().length,
        loadAverage: loadavg(),
      },
      eventLoopLag: { meanMs: ms(this.loopDelay.mean), p99Ms: ms(this.loopDelay.percentile(99)), maxMs: ms(this.loopDelay.max) },
    };
  }
}
