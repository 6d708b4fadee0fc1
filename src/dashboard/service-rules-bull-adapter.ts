import { BullAdapter } from '@bull-board/api/bullAdapter';
import type { Queue } from 'bull';
import type { JobEnvelope } from '../job-definitions/job-envelope';
import { isJobType } from '../job-definitions/job-types';
import { REDACTED, redactPersonalData } from '../job-definitions/personal-data';

/** Job methods that change a job; bull-board's handlers call these (retry, remove, promote, edit). */
const MUTATING_JOB_METHODS = new Set<PropertyKey>([
  'retry', 'remove', 'discard', 'promote', 'update', 'updateData', 'changeDelay', 'changePriority',
  'moveToCompleted', 'moveToFailed', 'removeUnprocessedChildren', 'log',
]);

/** Answered by bull-board's error handler with this status and message. */
export class DashboardRefusal extends Error {
  readonly statusCode = 405;

  constructor(action: string) {
    super(`${action} is not done by the dashboard itself: the service carries out retry, remove, pause and resume`);
    this.name = 'DashboardRefusal';
  }
}

/**
 * bull-board's Bull adapter with every change refused, stack traces cut to their first line and
 * personal data redacted. Changes are carried out in front of the
 * board by DashboardGate through the service's rules (records, dead letters, tenant), which an
 * adapter cannot apply: it is never told who asks. Should a request ever reach the board's own
 * handlers (a route the gate does not know), this refuses it instead of touching Redis directly.
 */
export class ServiceRulesBullAdapter extends BullAdapter {
  constructor(queue: Queue) {
    // Not read-only: the UI hides retry and remove on read-only queues, and those go through the gate.
    super(queue, { readOnlyMode: false, allowRetries: true });
  }

  override async getJob(id: string): ReturnType<BullAdapter['getJob']> {
    const job = await super.getJob(id);
    return job ? refusingChanges(job) : job;
  }

  override async getJobs(...args: Parameters<BullAdapter['getJobs']>): ReturnType<BullAdapter['getJobs']> {
    return (await super.getJobs(...args)).map(refusingChanges);
  }

  override clean(..._args: Parameters<BullAdapter['clean']>): Promise<void> { return refuse('Cleaning a queue'); }
  override addJob(..._args: Parameters<BullAdapter['addJob']>): never { throw new DashboardRefusal('Adding a job'); }
  override pause(): Promise<void> { return refuse('Pausing a queue'); }
  override resume(): Promise<void> { return refuse('Resuming a queue'); }
  override empty(): Promise<void> { return refuse('Emptying a queue'); }
  override obliterate(..._args: Parameters<BullAdapter['obliterate']>): Promise<void> { return refuse('Obliterating a queue'); }
  override promoteAll(): Promise<void> { return refuse('Promoting jobs'); }
  override removeJobScheduler(..._args: Parameters<BullAdapter['removeJobScheduler']>): Promise<boolean> { return refuse('Removing a schedule'); }
  override setGlobalConcurrency(..._args: Parameters<BullAdapter['setGlobalConcurrency']>): Promise<void> { return refuse('Setting concurrency'); }
}

function refuse(action: string): Promise<never> {
  return Promise.reject(new DashboardRefusal(action));
}

/**
 * What the board shows of a job: each attempt's stack trace cut to its first line (the error's
 * name and message: no file paths leave), and the personal data of the payload and the result
 * redacted, whatever the tenant (the board shows every tenant's jobs and has no way to ask for it).
 */
function boardView(json: Record<string, unknown>): Record<string, unknown> {
  const stacktrace = Array.isArray(json.stacktrace) ? json.stacktrace : [];
  const envelope = json.data as Partial<JobEnvelope> | undefined;
  const shown = { ...json, stacktrace: stacktrace.map((trace) => String(trace ?? '').split('\n')[0]) };
  if (!envelope || !isJobType(envelope.type)) {
    return { ...shown, data: REDACTED, returnvalue: json.returnvalue == null ? json.returnvalue : REDACTED };
  }
  const { data, result } = redactPersonalData(envelope.type, envelope.payload ?? {}, json.returnvalue);
  return { ...shown, data: { ...envelope, payload: data }, returnvalue: result };
}

function refusingChanges<T extends object>(job: T): T {
  return new Proxy(job, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (property === 'toJSON' && typeof value === 'function') {
        return () => boardView(value.call(receiver) as Record<string, unknown>);
      }
      if (typeof value === 'function' && MUTATING_JOB_METHODS.has(property)) {
        return () => refuse(`Job ${String(property)}`);
      }
      return value;
    },
  });
}
