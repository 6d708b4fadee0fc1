import {
  type Attributes, context, isSpanContextValid, ROOT_CONTEXT, type Span, SpanKind, type SpanContext, SpanStatusCode, trace,
  TraceFlags,
} from '@opentelemetry/api';
import { randomFillSync } from 'node:crypto';
import { withJobLogFields } from '../common/logging/job-log-context';
import type { JobAttemptIdentity } from '../job-definitions/job-events';

const tracer = trace.getTracer('queue-service.jobs');
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** How an attempt ended, as its span and log say. */
export type AttemptOutcome = 'completed' | 'already-completed' | 'retrying' | 'failed' | 'cancelled' | 'deferred' | 'abandoned';

/** The span of one attempt, for the runner to name its outcome. */
export interface AttemptTrace {
  traceId?: string;
  outcome(outcome: AttemptOutcome): void;
}

/**
 * The W3C traceparent a new job carries in its envelope: the active span's (the request that
 * submits it, or the attempt whose follow-up it is), so every attempt, even a retry an hour
 * later, joins that trace. Without one, a trace of its own: a root `job.submit` span when
 * tracing is on, else bare ids, which still tie the job's log lines together.
 */
export function traceparentForNewJob(): string {
  const active = trace.getActiveSpan()?.spanContext();
  if (active && isSpanContextValid(active)) return format(active);
  const root = tracer.startSpan('job.submit', { root: true });
  root.end();
  const started = root.spanContext();
  if (isSpanContextValid(started)) return format(started);
  return format({ traceId: randomHex(16), spanId: randomHex(8), traceFlags: TraceFlags.NONE });
}

/**
 * Random bytes as hex, drawn from a pool refilled 6 KB at a time, as Node's randomUUID draws
 * its own: one call into the CSPRNG per 256 jobs instead of two per job (4% of a batch's CPU).
 */
const randomPool = Buffer.alloc(24 * 256);
let randomPoolOffset = randomPool.length;
function randomHex(bytes: number): string {
  if (randomPoolOffset + bytes > randomPool.length) {
    randomFillSync(randomPool);
    randomPoolOffset = 0;
  }
  randomPoolOffset += bytes;
  return randomPool.toString('hex', randomPoolOffset - bytes, randomPoolOffset);
}

/**
 * Runs one attempt in a span that is a child of the job's trace context, with the job's
 * log fields in the async context. The span carries ids, type, queue, attempt and outcome:
 * never payload values.
 */
export function inAttemptSpan<T>(job: JobAttemptIdentity, traceparent: string | undefined, work: (attempt: AttemptTrace) => Promise<T>): Promise<T> {
  const remote = parse(traceparent);
  const parent = remote ? trace.setSpanContext(ROOT_CONTEXT, remote) : ROOT_CONTEXT;
  const span = tracer.startSpan(
    `job.attempt ${job.type}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: { 'job.id': job.jobId, 'job.type': job.type, 'job.queue': job.queue, 'job.attempt': job.attempt },
    },
    parent,
  );
  const own = span.spanContext();
  const traceId = isSpanContextValid(own) ? own.traceId : remote?.traceId;
  const attempt: AttemptTrace = {
    traceId,
    outcome: (outcome) => {
      span.setAttribute('job.outcome', outcome);
      if (outcome === 'retrying' || outcome === 'failed') span.setStatus({ code: SpanStatusCode.ERROR });
    },
  };
  const fields = { jobId: job.jobId, type: job.type, queue: job.queue, tenantId: job.tenantId, attempt: job.attempt, traceId };
  return context.with(trace.setSpan(parent, span), () =>
    withJobLogFields(fields, () => work(attempt)).finally(() => span.end()),
  );
}

/** A child span of whatever is active (the attempt): the handler call, a provider step. */
export async function inSpan<T>(name: string, attributes: Attributes, work: () => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, { attributes }, async (span: Span) => {
    try {
      return await work();
    } catch (error) {
      // The error's class only: its message may quote provider answers.
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : 'error' });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** The trace id of a traceparent, for log lines written outside the job's attempts. */
export function traceIdOf(traceparent: string | undefined): string | undefined {
  return parse(traceparent)?.traceId;
}

function format(spanContext: Pick<SpanContext, 'traceId' | 'spanId' | 'traceFlags'>): string {
  return `00-${spanContext.traceId}-${spanContext.spanId}-${spanContext.traceFlags.toString(16).padStart(2, '0')}`;
}

function parse(traceparent: string | undefined): SpanContext | undefined {
  const match = traceparent ? TRACEPARENT.exec(traceparent) : null;
  if (!match) return undefined;
  const spanContext: SpanContext = { traceId: match[1], spanId: match[2], traceFlags: parseInt(match[3], 16), isRemote: true };
  return isSpanContextValid(spanContext) ? spanContext : undefined;
}
