import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { currentJobLogFields } from '../common/logging/job-log-context';
import { startTracing } from '../tracing';
import { inAttemptSpan, inSpan, traceIdOf, traceparentForNewJob } from './job-tracing';

const job = { jobId: 'job-1', tenantId: 'tenant-1', type: 'payment-process' as const, queue: 'money' as const, attempt: 1 };

describe('job tracing', () => {
  describe('with tracing off (no SDK started yet)', () => {
    it('still gives each new job a trace id of its own, which its attempts log', async () => {
      const traceparent = traceparentForNewJob();
      expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
      const logged = await inAttemptSpan(job, traceparent, async () => currentJobLogFields());
      expect(logged).toEqual({ ...job, traceId: traceIdOf(traceparent) });
    });

    it('never hands two jobs the same trace or span id, across refills of the random pool', () => {
      const traceparents = Array.from({ length: 2000 }, () => traceparentForNewJob());
      const ids = traceparents.flatMap((traceparent) => traceparent.split('-').slice(1, 3));
      expect(new Set(ids).size).toBe(ids.length);
      expect(traceparents.every((traceparent) => /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/.test(traceparent))).toBe(true);
    });
  });

  describe('with an in-memory exporter', () => {
    const exporter = new InMemorySpanExporter();
    let sdk: ReturnType<typeof startTracing> | undefined;
    beforeAll(() => {
      sdk = startTracing({ exporter });
    });
    afterAll(() => sdk?.shutdown());
    beforeEach(() => exporter.reset());

    it('opens every attempt, a retry included, as a child of the trace the job was submitted in', async () => {
      const submitted = await inSpan('request', {}, async () => traceparentForNewJob());
      const [, traceId, submitSpanId] = submitted.split('-');
      await inAttemptSpan(job, submitted, async (attempt) => attempt.outcome('retrying'));
      await inAttemptSpan({ ...job, attempt: 2 }, submitted, async (attempt) => {
        await inSpan('job.handle payment-process', {}, async () => undefined);
        attempt.outcome('completed');
      });
      const attempts = exporter.getFinishedSpans().filter((span) => span.name === 'job.attempt payment-process');
      expect(attempts.map((span) => [span.spanContext().traceId, span.parentSpanContext?.spanId])).toEqual([
        [traceId, submitSpanId],
        [traceId, submitSpanId],
      ]);
      expect(attempts.map((span) => span.attributes)).toEqual([
        { 'job.id': 'job-1', 'job.type': 'payment-process', 'job.queue': 'money', 'job.attempt': 1, 'job.outcome': 'retrying' },
        { 'job.id': 'job-1', 'job.type': 'payment-process', 'job.queue': 'money', 'job.attempt': 2, 'job.outcome': 'completed' },
      ]);
      const handle = exporter.getFinishedSpans().find((span) => span.name === 'job.handle payment-process');
      expect(handle?.parentSpanContext?.spanId).toBe(attempts[1].spanContext().spanId);
    });

    it("gives a follow-up planned during an attempt the attempt's trace context", async () => {
      const parent = traceparentForNewJob();
      const followUp = await inAttemptSpan(job, parent, async () => traceparentForNewJob());
      const attempt = exporter.getFinishedSpans().find((span) => span.name === 'job.attempt payment-process')!;
      expect(followUp).toBe(`00-${attempt.spanContext().traceId}-${attempt.spanContext().spanId}-01`);
      expect(traceIdOf(followUp)).toBe(traceIdOf(parent));
    });

    it('roots a job submitted outside any span in a job.submit span', () => {
      const traceparent = traceparentForNewJob();
      const root = exporter.getFinishedSpans().find((span) => span.name === 'job.submit')!;
      expect(root.parentSpanContext).toBeUndefined();
      expect(traceparent).toBe(`00-${root.spanContext().traceId}-${root.spanContext().spanId}-01`);
    });
  });
});
