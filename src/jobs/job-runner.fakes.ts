/**
 * In-memory stand-ins for the JobRunner's collaborators, for its unit spec only. Each records
 * what the runner asked of it and answers what the test scripted; none holds logic of its own.
 */
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { Job } from 'bull';
import type { EntityManager } from 'typeorm';
import type { TenantScope } from '../database/tenant-scope';
import type { DeadLetterEntry, DeadLetterRecorder } from '../dead-letters/dead-letter-recorder';
import type { IdempotencyService } from '../idempotency/idempotency.service';
import type { JobEnvelope } from '../job-definitions/job-envelope';
import type { ClassifiedError } from '../job-definitions/job-errors';
import type { FollowUpRequest, JobContext } from '../job-definitions/job-handler';
import type { JobType } from '../job-definitions/job-types';
import type { EffectJournal } from '../persistence/effect-journal';
import type { AttemptRef, ClaimOutcome, JobAttempts, WrittenWithCompletion } from '../persistence/job-attempts';
import type { CancellationFlags } from './cancellation-flags';
import type { FollowUps } from './follow-ups';
import type { JobHandlerRegistry } from './job-handler-registry';
import type { PlannedJob } from './job-enqueuer';
import { JobRunner } from './job-runner';
import type { LeaseKeeper } from './lease-keeper';
import type { OutboxRelay } from './outbox-relay';
import type { ProviderGuard } from './provider-guard';
import type { ScheduleTicks } from './schedule-ticks';

/** Stands for the transaction a collaborator would open; the fakes pass it along untouched. */
export const FAKE_MANAGER = { fake: 'entity-manager' } as unknown as EntityManager;

export class FakeAttempts {
  outcome: ClaimOutcome<Map<string, object>> = { kind: 'claimed', fence: 7, data: { fromRecord: true }, also: new Map() };
  completeError?: Error;
  failError?: Error;
  firstFailedAt = new Date('2026-11-01T10:00:00Z');
  readonly claims: Array<{ tenantId: string; jobId: string; attempt: number }> = [];
  readonly completes: Array<{ ref: AttemptRef; result: object; idempotencyKey?: string }> = [];
  readonly fails: Array<{ ref: AttemptRef; status: string; error: ClassifiedError }> = [];
  readonly defers: AttemptRef[] = [];
  readonly cancelledUnclaimed: Array<{ tenantId: string; jobId: string }> = [];

  async claim(tenantId: string, jobId: string, _owner: string, attempt: number): Promise<ClaimOutcome<Map<string, object>>> {
    this.claims.push({ tenantId, jobId, attempt });
    return this.outcome;
  }

  async complete<Item>(ref: AttemptRef, result: object, idempotencyKey?: string, also?: WrittenWithCompletion<Item>) {
    this.completes.push({ ref, result, idempotencyKey });
    // The fenced update comes first in the real transaction: a stale attempt writes nothing else.
    if (this.completeError) throw this.completeError;
    if (also) await also.writeAll(FAKE_MANAGER, ref.tenantId, also.items);
  }

  async fail(ref: AttemptRef, status: string, error: ClassifiedError): Promise<Date> {
    this.fails.push({ ref, status, error });
    if (this.failError) throw this.failError;
    return this.firstFailedAt;
  }

  async defer(ref: AttemptRef): Promise<void> {
    this.defers.push(ref);
  }

  /** False stands for a record already over, or held by a live attempt. */
  cancelUnclaimedAnswer = true;

  async cancelUnclaimed(tenantId: string, jobId: string): Promise<boolean> {
    this.cancelledUnclaimed.push({ tenantId, jobId });
    return this.cancelUnclaimedAnswer;
  }

  async progress(): Promise<void> {}

  /** Every record write, in one list: for "nothing was written". */
  get writes(): unknown[] {
    return [...this.completes, ...this.fails, ...this.defers, ...this.cancelledUnclaimed];
  }
}

export type HandlerWork = (payload: object, context: JobContext) => Promise<object>;

export class FakeHandlers {
  work: HandlerWork = async () => ({ done: true });
  readonly calls: Array<{ type: JobType; payload: object }> = [];

  get(type: JobType) {
    return {
      execute: (payload: object, context: JobContext) => {
        this.calls.push({ type, payload });
        return this.work(payload, context);
      },
    };
  }
}

export class FakeCancellations {
  readonly requested = new Set<string>();

  async isRequested(jobId: string): Promise<boolean> {
    return this.requested.has(jobId);
  }
}

export class FakeIdempotency {
  readonly results = new Map<string, object>();
  readonly stores: Array<{ key: string; result: object }> = [];

  async check(_tenantId: string, key: string): Promise<object | undefined> {
    return this.results.get(key);
  }

  async store(_manager: EntityManager, key: string, result: object): Promise<void> {
    this.stores.push({ key, result });
  }
}

export class FakeFollowUps {
  readonly recorded: Array<{ manager: EntityManager; tenantId: string; planned: PlannedJob[] }> = [];
  readonly requests: FollowUpRequest[] = [];
  /** The follow-up names nobody would hear (a webhook event no endpoint wants). */
  readonly unheard = new Set<string>();

  async isHeard(_tenantId: string, followUp: FollowUpRequest): Promise<boolean> {
    return !this.unheard.has(followUp.name);
  }

  async plan(parent: { jobId: string }, followUp: FollowUpRequest): Promise<PlannedJob> {
    this.requests.push(followUp);
    const id = `${parent.jobId}:${followUp.name}`;
    return { summary: { id }, keyField: followUp.name } as unknown as PlannedJob;
  }

  async recordIn(manager: EntityManager, tenantId: string, planned: PlannedJob[]): Promise<number> {
    this.recorded.push({ manager, tenantId, planned });
    return planned.length;
  }
}

export class FakeRelay {
  wakes = 0;

  wake(): void {
    this.wakes += 1;
  }
}

export class FakeTicks {
  readonly submitted: Job<JobEnvelope>[] = [];
  /** Ticks the schedule's listener answers `skip` for. */
  readonly skipping = new Set<string>();

  async announce(tick: Job<JobEnvelope>): Promise<boolean> {
    return !this.skipping.has(String(tick.id));
  }

  async submit(tick: Job<JobEnvelope>): Promise<{ scheduledJobId: string }> {
    this.submitted.push(tick);
    return { scheduledJobId: `scheduled:${tick.id}` };
  }
}

export class RecordingDeadLetters {
  readonly entries: DeadLetterEntry[] = [];
  /** What each record asked to write in the entry's transaction; a test runs them to see what they write. */
  readonly alsoIn: Array<((manager: EntityManager, deadLetterId: string) => Promise<unknown>) | undefined> = [];
  /** When set, each record runs its `alsoIn` as the real recorder does, with the entry id `dead-letter-<n>`. */
  writeAlsoIn = false;

  async record(entry: DeadLetterEntry, alsoIn?: (manager: EntityManager, deadLetterId: string) => Promise<unknown>): Promise<void> {
    this.entries.push(entry);
    this.alsoIn.push(alsoIn);
    if (this.writeAlsoIn && alsoIn) await alsoIn(FAKE_MANAGER, `dead-letter-${this.entries.length}`);
  }
}

/** The parts of Bull's Job the runner touches. */
export interface FakeJob {
  id: string;
  data: JobEnvelope;
  attemptsMade: number;
  opts: { attempts?: number; repeat?: { cron: string } };
  discarded: boolean;
  progressReported: number[];
  discard(): void;
  progress(percent: number): Promise<void>;
  update(data: JobEnvelope): Promise<void>;
}

export function fakeJob(overrides: Partial<Pick<FakeJob, 'id' | 'attemptsMade' | 'opts'>> & { data?: Partial<JobEnvelope> } = {}): FakeJob {
  return {
    id: overrides.id ?? 'job-1',
    data: {
      tenantId: 'tenant-a',
      type: 'payment-process',
      payload: { fromRedis: true },
      idempotencyKey: 'key-1',
      ...overrides.data,
    },
    attemptsMade: overrides.attemptsMade ?? 0,
    opts: overrides.opts ?? { attempts: 3 },
    discarded: false,
    progressReported: [],
    discard() {
      this.discarded = true;
    },
    async progress(percent: number) {
      this.progressReported.push(percent);
    },
    async update(data: JobEnvelope) {
      this.data = data;
    },
  };
}

/** A JobRunner over fresh fakes, with the fakes at hand for scripting and assertions. */
export function runnerWithFakes() {
  const fakes = {
    handlers: new FakeHandlers(),
    attempts: new FakeAttempts(),
    cancellations: new FakeCancellations(),
    idempotency: new FakeIdempotency(),
    followUps: new FakeFollowUps(),
    relay: new FakeRelay(),
    ticks: new FakeTicks(),
    deadLetters: new RecordingDeadLetters(),
    events: new EventEmitter2(),
    scopeRuns: [] as string[],
  };
  const scope = {
    run: <T>(tenantId: string, work: (manager: EntityManager) => Promise<T>) => {
      fakes.scopeRuns.push(tenantId);
      return work(FAKE_MANAGER);
    },
  };
  const journal = { stepsIn: async () => new Map<string, object>(), record: async () => undefined };
  const leases = { keep: () => ({ stop: () => undefined }) };
  const providers = { run: <T>(_provider: unknown, work: () => Promise<T>) => work() };
  const runner = new JobRunner(
    fakes.handlers as unknown as JobHandlerRegistry,
    scope as unknown as TenantScope,
    fakes.attempts as unknown as JobAttempts,
    journal as unknown as EffectJournal,
    leases as unknown as LeaseKeeper,
    providers as unknown as ProviderGuard,
    fakes.idempotency as unknown as IdempotencyService,
    fakes.cancellations as unknown as CancellationFlags,
    fakes.deadLetters as unknown as DeadLetterRecorder,
    fakes.followUps as unknown as FollowUps,
    fakes.relay as unknown as OutboxRelay,
    fakes.ticks as unknown as ScheduleTicks,
    fakes.events,
  );
  const run = (job: FakeJob) => runner.run(job as unknown as Job<JobEnvelope>);
  return { run, ...fakes };
}
