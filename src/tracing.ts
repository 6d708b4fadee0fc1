import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { IncomingMessage } from 'node:http';

/**
 * OpenTelemetry traces. main.ts imports this file before anything else: the instrumentations
 * patch `http`, `pg` and `ioredis` when those are first required, so they must be registered
 * first. Off unless an OTLP endpoint is configured with the standard variables.
 */
export function tracingRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OTEL_SDK_DISABLED === 'true') return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/** Probes and scrapes are not worth a trace each. */
const UNTRACED_PATHS = /^\/(health|metrics)(\/|\?|$)/;

export interface TracingOptions {
  /** Replaces the OTLP exporter (e.g. an InMemorySpanExporter); spans are then exported one by one. */
  exporter?: SpanExporter;
}

export function startTracing(options: TracingOptions = {}): NodeSDK {
  const processor = options.exporter
    ? new SimpleSpanProcessor(options.exporter)
    : // OTLP over HTTP/JSON; the exporter reads OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT and _HEADERS, the processor OTEL_BSP_*.
      new BatchSpanProcessor(new OTLPTraceExporter());
  const sdk = new NodeSDK({
    serviceName: process.env.OTEL_SERVICE_NAME ?? 'queue-service',
    spanProcessors: [processor],
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request: IncomingMessage) => UNTRACED_PATHS.test(request.url ?? ''),
      }),
      // Bull polls Redis all the time: only commands made inside a request or a job are traced.
      // The command name only: Bull's scripts take the job's data (the payload) as arguments.
      new IORedisInstrumentation({ requireParentSpan: true, dbStatementSerializer: (command: string) => command }),
      new PgInstrumentation({ requireParentSpan: true }),
    ],
  });
  sdk.start();
  return sdk;
}

/** Started on import when configured, so that `import './tracing'` first thing in main.ts is all it takes. */
export const tracing: NodeSDK | undefined = tracingRequested() ? startTracing() : undefined;

if (tracing) {
  // Spans still in the batch are sent before the process ends; Nest's own shutdown hooks run alongside.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void tracing.shutdown().catch(() => undefined));
}
