import { Injectable } from '@nestjs/common';
import { RedisClient } from '../database/redis.provider';

const STOPPED_KEY = 'monitoring:stopped';
const LAST_CHECK_KEY = 'monitoring:last-check';

export interface MonitoringStopped {
  stoppedBy: string;
  stoppedAt: string;
}

export interface LastCheck {
  at: string;
  firing: string[];
  raised: string[];
  resolved: string[];
}

/**
 * Whether monitoring runs, in Redis so every process agrees: the check job of whichever worker
 * takes it reads the flag. Stopping keeps the repeatable registered; its ticks do nothing.
 */
@Injectable()
export class MonitoringSwitch {
  constructor(private readonly redis: RedisClient) {}

  async stop(by: string): Promise<void> {
    const stopped: MonitoringStopped = { stoppedBy: by, stoppedAt: new Date().toISOString() };
    // NX: a second stop keeps who stopped it first, and when.
    await this.redis.set(STOPPED_KEY, JSON.stringify(stopped), 'NX');
  }

  async start(): Promise<void> {
    await this.redis.del(STOPPED_KEY);
  }

  async stopped(): Promise<MonitoringStopped | null> {
    const raw = await this.redis.get(STOPPED_KEY);
    return raw ? (JSON.parse(raw) as MonitoringStopped) : null;
  }

  async recordCheck(check: LastCheck): Promise<void> {
    await this.redis.set(LAST_CHECK_KEY, JSON.stringify(check));
  }

  async lastCheck(): Promise<LastCheck | null> {
    const raw = await this.redis.get(LAST_CHECK_KEY);
    return raw ? (JSON.parse(raw) as LastCheck) : null;
  }
}
