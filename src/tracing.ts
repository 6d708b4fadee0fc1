import type { NodeSDK } from '@opentelemetry/sdk-node';
import type { TracingOptions } from './tracing-sdk';

/**
 * OpenTelemetry traces. main.ts imports this file before anything else: the instrumentations
 * patch `http`, `pg` and `ioredis` when those are first required, so they must be registered
 * first. Off unless an OTLP endpoint is configured with the standard variables; off, the SDK
 * (tracing-sdk.ts) is never loaded.
 */
export function tracingRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OTEL_SDK_DISABLED === 'true') return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

export type { TracingOptions };

export function startTracing(options: TracingOptions = {}): NodeSDK {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on demand, see above
  const sdk = require('./tracing-sdk') as typeof import('./tracing-sdk');
  return sdk.startTracing(options);
}

/** Started on import when configured, so that `import './tracing'` first thing in main.ts is all it takes. */
export const tracing: NodeSDK | undefined = tracingRequested() ? startTracing() : undefined;

if (tracing) {
  // Spans still in the batch are sent before the process ends; Nest's own shutdown hooks run alongside.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void tracing.shutdown().catch(() => undefined));
}
