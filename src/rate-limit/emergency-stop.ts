import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
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
  /**
   * `applied`: every worker process seen has confirmed the change (a stop: none takes a new job).
   * `pending`: some had not within EMERGENCY_STOP_ACK_TIMEOUT_MS; they catch up by polling.
   */
  status: 'applied' | 'pending';
  /** Worker processes (`host:pid:instance`) that confirmed the change, and those that had not yet. */
  acknowledged: string[];
  pendingWorkers: string[];
}

interface StopFlag {
  /** Names this stop; a worker's report names the stop it applied (absent in a flag written by hand). */
  stopId?: string;
  stoppedBy?: string;
  stoppedAt?: string;
}

/** What one worker process last reported. */
interface WorkerReport {
  paused: boolean;
  /** The stop its pause applies, when paused. */
  stopId: string | null;
  at: number;
}

const FLAG_KEY = 'emergency-stop';
/** On a cluster the channel is sharded, and a key: the connection's prefix completes it. */
const SHARDED_CHANNEL = 'emergency-stop';
/** Hash: worker process id → { paused, at }, refreshed by each worker on every poll. */
const WORKERS_KEY = 'emergency-stop:workers';
/** A worker that has not reported for this many polls is gone. */
const REPORTS_MISSED_WHEN_GONE = 3;
/** How often the route reads the reports while it waits for every worker to confirm. */
const ACK_POLL_MS = 25;

/**
 * Stops every worker process from taking new jobs; running jobs finish and waiting ones stay
 * queued. The flag lives in Redis (a process that starts while stopped starts paused) and
 * each change is broadcast on a channel; worker processes also poll the flag in case they
 * missed a message, and report what they applied (and which stop); the stop route answers once
 * every worker process has reported the stop applied, so a job submitted after the answer is
 * not taken, or says `pending` and who is late.
 * Pausing is local to each process (`queue.pause(true, true)`), so the admin's per-queue
 * pause, which is global, is never touched.
 */
@Injectable()
export class EmergencyStop implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(EmergencyStop.name);
  private readonly channel: string;
  /** host:pid, and a suffix of its own: two apps in one process (tests) are two workers. */
  private readonly processId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
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
    @Inject(RateLimitConfig) private readonly settings: Pick<RateLimitConfig, 'emergencyStopPollMs' | 'emergencyStopAckTimeoutMs'>,
    private readonly redis: RedisClient,
    private readonly queues: QueueRegistry,
  ) {
    this.sharded = config.redis.clusterNodes !== undefined;
    // PUBLISH channels take no key prefix, so the prefix is written out to keep deployments apart.
    this.channel = `${config.redis.prefix}:emergency-stop`;
  }

  /**
   * Sets the flag, tells every worker process, and answers once each has confirmed it takes no
   * new job (or, past EMERGENCY_STOP_ACK_TIMEOUT_MS, with `status: pending` and who has not).
   */
  async stop(by: string): Promise<EmergencyStopChange> {
    const flag: StopFlag = { stopId: randomUUID(), stoppedBy: by, stoppedAt: new Date().toISOString() };
    // NX: a second stop keeps the first one's author, time and id.
    await this.redis.set(FLAG_KEY, JSON.stringify(flag), 'NX');
    const current = parseFlag(await this.redis.get(FLAG_KEY));
    return this.broadcast('stop', (report) => current !== null && report.paused && report.stopId === stopIdOf(current));
  }

  async resume(): Promise<EmergencyStopChange> {
    await this.redis.del(FLAG_KEY);
    return this.broadcast('resume', (report) => !report.paused);
  }

  async isStopped(): Promise<boolean> {
    return (await this.redis.exists(FLAG_KEY)) === 1;
  }

  async getState(): Promise<EmergencyStopState> {
    const [raw, workers] = await Promise.all([this.redis.get(FLAG_KEY), this.workerCounts()]);
    const flag = parseFlag(raw);
    return { stopped: flag !== null, stoppedBy: flag?.stoppedBy ?? null, stoppedAt: flag?.stoppedAt ?? null, workers };
  }

  /** Runs before any worker is attached (onApplicationBootstrap), so a stopped service never takes a job. */
  async onModuleInit(): Promise<void> {
    if (!this.config.runsWorkers) return;
    await this.sync();
    // The message only wakes the process: the flag in Redis says what to apply, and which stop.
    const onMessage = () => void this.sync();
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

  private async broadcast(signal: 'stop' | 'resume', confirms: (report: WorkerReport) => boolean): Promise<EmergencyStopChange> {
    const notifiedWorkers = Number(await (this.sharded ? this.redis.spublish(SHARDED_CHANNEL, signal) : this.redis.publish(this.channel, signal)));
    const { acknowledged, pending } = await this.confirmations(confirms);
    const state = await this.getState();
    const change: EmergencyStopChange = {
      ...state, notifiedWorkers, status: pending.length ? 'pending' : 'applied', acknowledged, pendingWorkers: pending,
    };
    this.logger.warn(change, signal === 'stop' ? 'Emergency stop' : 'Resumed after emergency stop');
    return change;
  }

  /** Reads the workers' reports until every live one confirms, or the timeout passes. */
  private async confirmations(confirms: (report: WorkerReport) => boolean): Promise<{ acknowledged: string[]; pending: string[] }> {
    const deadline = Date.now() + this.settings.emergencyStopAckTimeoutMs;
    for (;;) {
      const reports = await this.liveReports();
      const acknowledged = reports.filter(([, report]) => confirms(report)).map(([processId]) => processId).sort();
      const pending = reports.filter(([, report]) => !confirms(report)).map(([processId]) => processId).sort();
      if (pending.length === 0 || Date.now() >= deadline) return { acknowledged, pending };
      await new Promise((resolve) => setTimeout(resolve, ACK_POLL_MS));
    }
  }

  private async sync(): Promise<void> {
    try {
      const flag = parseFlag(await this.redis.get(FLAG_KEY));
      await this.apply(flag === null ? null : stopIdOf(flag));
    } catch (error) {
      this.logger.error({ err: error }, 'Could not read the emergency stop flag');
    }
  }

  /** `stopId`: the stop to apply, or null to run. The report is written only once applied. */
  private apply(stopId: string | null): Promise<void> {
    this.applying = this.applying
      .then(async () => {
        if (this.closing) return;
        const stopped = stopId !== null;
        if (stopped !== this.pausedLocally) await this.pauseOrResumeWorkers(stopped);
        const report: WorkerReport = { paused: this.pausedLocally, stopId: this.pausedLocally ? stopId : null, at: Date.now() };
        await this.redis.hset(WORKERS_KEY, this.processId, JSON.stringify(report));
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

  private async workerCounts(): Promise<{ paused: number; running: number }> {
    const counts = { paused: 0, running: 0 };
    for (const [, report] of await this.liveReports()) counts[report.paused ? 'paused' : 'running']++;
    return counts;
  }

  /** The reports of worker processes seen in the last few polls; older ones are gone and removed. */
  private async liveReports(): Promise<[string, WorkerReport][]> {
    const reports = await this.redis.hgetall(WORKERS_KEY);
    const seenSince = Date.now() - REPORTS_MISSED_WHEN_GONE * this.settings.emergencyStopPollMs;
    const live: [string, WorkerReport][] = [];
    const gone: string[] = [];
    for (const [processId, raw] of Object.entries(reports)) {
      const report = JSON.parse(raw) as WorkerReport;
      if (report.at < seenSince) gone.push(processId);
      else live.push([processId, report]);
    }
    if (gone.length) await this.redis.hdel(WORKERS_KEY, ...gone);
    return live;
  }
}

function parseFlag(raw: string | null): StopFlag | null {
  return raw === null ? null : (JSON.parse(raw) as StopFlag);
}

/** A flag written without an id (by hand, or by an older release) is named by its time. */
function stopIdOf(flag: StopFlag): string {
  return flag.stopId ?? flag.stoppedAt ?? 'unnamed';
}
