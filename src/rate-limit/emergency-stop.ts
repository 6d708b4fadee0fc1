import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { hostname } from 'node:os';
import { AppConfig } from '../config/app-config';
import { connectRedis, RedisConnection, serviceKeyPrefix } from '../database/redis-connection';
import { RedisClient } from '../database/redis.provider';
import { QueueRegistry } from '../queue-store/queue-registry';
import { RateLimitConfig } from '../config/rate-limits.config';

export interface EmergencyStopState {
  stopped: boolean;
  stoppedBy: string | null;
  stoppedAt: string | null;
  /** Worker processes seen in the last few polls, by what they have applied. */
  workers: { paused: number; running: number };
}

export interface EmergencyStopChange extends EmergencyStopState {
  /** Worker processes that received the broadcast (each also polls, so late ones catch up). */
  notifiedWorkers: number;
}

const FLAG_KEY = 'emergency-stop';
/** On a cluster the channel is sharded, and a key: the connection's prefix completes it. */
const SHARDED_CHANNEL = 'emergency-stop';
/** Hash: worker process id → { paused, at }, refreshed by each worker on every poll. */
const WORKERS_KEY = 'emergency-stop:workers';
/** A worker that has not reported for this many polls is gone. */
const REPORTS_MISSED_WHEN_GONE = 3;

/**
 * Stops every worker process from taking new jobs; running jobs finish and waiting ones stay
 * queued. The flag lives in Redis (a process that starts while stopped starts paused) and
 * each change is broadcast on a channel; worker processes also poll the flag in case they
 * missed a message, and report what they applied so the admin can see it took effect.
 * Pausing is local to each process (`queue.pause(true, true)`), so the admin's per-queue
 * pause, which is global, is never touched.
 */
@Injectable()
export class EmergencyStop implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(EmergencyStop.name);
  private readonly channel: string;
  private readonly processId = `${hostname()}:${process.pid}`;
  private subscriber?: RedisConnection;
  /**
   * One server: PUBLISH and SUBSCRIBE. A cluster: sharded SPUBLISH and SSUBSCRIBE on the
   * service's slot, since a cluster's PUBLISH counts only the subscribers of the node it reached.
   */
  private readonly sharded: boolean;
  private poller?: NodeJS.Timeout;
  /** What this process has applied to its own workers. */
  private pausedLocally = false;
  /** Serialises pause and resume, which would otherwise interleave on a quick stop-resume. */
  private applying: Promise<void> = Promise.resolve();
  private closing = false;

  constructor(
    private readonly config: AppConfig,
    @Inject(RateLimitConfig) private readonly settings: Pick<RateLimitConfig, 'emergencyStopPollMs'>,
    private readonly redis: RedisClient,
    private readonly queues: QueueRegistry,
  ) {
    this.sharded = config.redis.clusterNodes !== undefined;
    // PUBLISH channels take no key prefix, so the prefix is written out to keep deployments apart.
    this.channel = `${config.redis.prefix}:emergency-stop`;
  }

  async stop(by: string): Promise<EmergencyStopChange> {
    // NX: a second stop keeps the first one's author and time.
    await this.redis.set(FLAG_KEY, JSON.stringify({ stoppedBy: by, stoppedAt: new Date().toISOString() }), 'NX');
    return this.broadcast('stop');
  }

  async resume(): Promise<EmergencyStopChange> {
    await this.redis.del(FLAG_KEY);
    return this.broadcast('resume');
  }

  async isStopped(): Promise<boolean> {
    return (await this.redis.exists(FLAG_KEY)) === 1;
  }

  async getState(): Promise<EmergencyStopState> {
    const [raw, workers] = await Promise.all([this.redis.get(FLAG_KEY), this.workerReports()]);
    const flag = raw === null ? null : (JSON.parse(raw) as { stoppedBy?: string; stoppedAt?: string });
    return { stopped: flag !== null, stoppedBy: flag?.stoppedBy ?? null, stoppedAt: flag?.stoppedAt ?? null, workers };
  }

  /** Runs before any worker is attached (onApplicationBootstrap), so a stopped service never takes a job. */
  async onModuleInit(): Promise<void> {
    if (!this.config.runsWorkers) return;
    await this.sync();
    const onMessage = (_channel: string, message: string) => {
      if (message === 'stop' || message === 'resume') void this.apply(message === 'stop');
    };
    if (this.sharded) {
      const redis = this.config.redis;
      this.subscriber = connectRedis(redis, { keyPrefix: serviceKeyPrefix(redis), maxRetriesPerRequest: null }, { shardedSubscribers: true });
      this.subscriber.on('smessage', onMessage);
    } else {
      this.subscriber = connectRedis(this.config.redis, { maxRetriesPerRequest: null });
      this.subscriber.on('message', onMessage);
    }
    // A message missed while reconnecting is caught by the poll; re-reading on reconnect is sooner.
    this.subscriber.on('ready', () => void this.sync());
    await (this.sharded ? this.subscriber.ssubscribe(SHARDED_CHANNEL) : this.subscriber.subscribe(this.channel));
    this.poller = setInterval(() => void this.sync(), this.settings.emergencyStopPollMs);
    this.poller.unref();
  }

  /**
   * Before Bull closes its queues (onApplicationShutdown): a local pause still cutting Bull's
   * blocked connection would reconnect it after the close and keep the process alive.
   */
  async onModuleDestroy(): Promise<void> {
    if (!this.subscriber) return;
    this.closing = true;
    clearInterval(this.poller);
    await this.subscriber.quit().catch(() => this.subscriber?.disconnect());
    await this.applying;
    await this.redis.hdel(WORKERS_KEY, this.processId).catch(() => undefined);
  }

  private async broadcast(signal: 'stop' | 'resume'): Promise<EmergencyStopChange> {
    const notifiedWorkers = Number(await (this.sharded ? this.redis.spublish(SHARDED_CHANNEL, signal) : this.redis.publish(this.channel, signal)));
    const state = await this.getState();
    this.logger.warn({ ...state, notifiedWorkers }, signal === 'stop' ? 'Emergency stop' : 'Resumed after emergency stop');
    return { ...state, notifiedWorkers };
  }

  private async sync(): Promise<void> {
    try {
      await this.apply(await this.isStopped());
    } catch (error) {
      this.logger.error({ err: error }, 'Could not read the emergency stop flag');
    }
  }

  private apply(stopped: boolean): Promise<void> {
    this.applying = this.applying
      .then(async () => {
        if (this.closing) return;
        if (stopped !== this.pausedLocally) await this.pauseOrResumeWorkers(stopped);
        await this.redis.hset(WORKERS_KEY, this.processId, JSON.stringify({ paused: this.pausedLocally, at: Date.now() }));
      })
      .catch((error: unknown) => this.logger.error({ err: error }, 'Could not apply the emergency stop'));
    return this.applying;
  }

  private async pauseOrResumeWorkers(stopped: boolean): Promise<void> {
    // In parallel: a local pause waits up to 500 ms for Bull's blocked fetch to be cut.
    const outcomes = await Promise.allSettled(
      // doNotWaitActive: running jobs finish on their own; we only stop taking new ones.
      this.queues.all().map(({ queue }) => (stopped ? queue.pause(true, true) : queue.resume(true))),
    );
    const failed = outcomes.filter((outcome) => outcome.status === 'rejected');
    // Both calls are idempotent, so an incomplete change is simply tried again by the next poll.
    if (failed.length) {
      this.logger.error({ errors: failed.map((outcome) => String(outcome.reason)) }, 'Could not pause or resume every queue');
      return;
    }
    this.pausedLocally = stopped;
    this.logger.warn(stopped ? 'Emergency stop: this process takes no new jobs' : 'Emergency stop lifted: taking jobs again');
  }

  private async workerReports(): Promise<{ paused: number; running: number }> {
    const reports = await this.redis.hgetall(WORKERS_KEY);
    const seenSince = Date.now() - REPORTS_MISSED_WHEN_GONE * this.settings.emergencyStopPollMs;
    const counts = { paused: 0, running: 0 };
    const gone: string[] = [];
    for (const [processId, raw] of Object.entries(reports)) {
      const report = JSON.parse(raw) as { paused: boolean; at: number };
      if (report.at < seenSince) gone.push(processId);
      else counts[report.paused ? 'paused' : 'running']++;
    }
    if (gone.length) await this.redis.hdel(WORKERS_KEY, ...gone);
    return counts;
  }
}
