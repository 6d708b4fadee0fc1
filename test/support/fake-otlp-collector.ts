import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One span as the collector received it (OTLP/JSON, ids in hex). */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** OTLP kinds: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  attributes: Record<string, string | number | boolean>;
}

export interface FakeOtlpCollector {
  /** For OTEL_EXPORTER_OTLP_ENDPOINT; the exporter posts to `<url>/v1/traces`. */
  url: string;
  spans: () => ReceivedSpan[];
  close: () => Promise<void>;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: number | string;
  doubleValue?: number;
  boolValue?: boolean;
}

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: { key: string; value: OtlpValue }[];
}

interface OtlpTraceRequest {
  resourceSpans?: { scopeSpans?: { spans?: OtlpSpan[] }[] }[];
}

/**
 * An OpenTelemetry collector's OTLP/HTTP traces endpoint on loopback: the service's real
 * exporter sends to it as it would to a real collector, and the test reads what arrived.
 */
export async function startFakeOtlpCollector(): Promise<FakeOtlpCollector> {
  const received: ReceivedSpan[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      if (request.method !== 'POST' || request.url !== '/v1/traces' || !request.headers['content-type']?.includes('json')) {
        response.writeHead(415).end();
        return;
      }
      const parsed = JSON.parse(body) as OtlpTraceRequest;
      for (const resource of parsed.resourceSpans ?? []) {
        for (const scope of resource.scopeSpans ?? []) {
          for (const span of scope.spans ?? []) received.push(toReceived(span));
        }
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans: () => [...received],
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function toReceived(span: OtlpSpan): ReceivedSpan {
  const attributes: ReceivedSpan['attributes'] = {};
  for (const { key, value } of span.attributes ?? []) {
    attributes[key] = value.stringValue ?? value.boolValue ?? value.doubleValue ?? Number(value.intValue);
  }
  return {
    traceId: span.traceId,
    spanId: span.spanId,
    parentSpanId: span.parentSpanId || undefined,
    name: span.name,
    kind: span.kind,
    attributes,
  };
}
