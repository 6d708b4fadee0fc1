import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppConfig } from '../../config/app-config';
import { PROMETHEUS_TEXT } from './metrics.controller';
import { MetricsExposition } from './metrics-exposition';

/**
 * With METRICS_PORT set, `GET /metrics` is served open on that port (one a scraper reaches and
 * clients do not) and nothing else; the API port answers 404 for it.
 */
@Injectable()
export class MetricsPortServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(MetricsPortServer.name);
  private server?: Server;

  constructor(
    private readonly config: AppConfig,
    private readonly exposition: MetricsExposition,
  ) {}

  /** The port it listens on (METRICS_PORT=0 picks a free one), or undefined when off. */
  get port(): number | undefined {
    return (this.server?.address() as AddressInfo | null)?.port;
  }

  async onApplicationBootstrap(): Promise<void> {
    const { scrapeAccess, metricsPort } = this.config.observability;
    if (scrapeAccess !== 'port' || metricsPort === undefined) return;
    const server = createServer((request, response) => {
      const path = new URL(request.url ?? '/', 'http://metrics.local').pathname;
      if (request.method !== 'GET' || path !== '/metrics') {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('Not found\n');
        return;
      }
      this.exposition.text().then(
        (text) => response.writeHead(200, { 'content-type': PROMETHEUS_TEXT, 'cache-control': 'no-store' }).end(text),
        (error: unknown) => {
          this.logger.error({ err: error }, 'Could not render the metrics');
          response.writeHead(500, { 'content-type': 'text/plain' }).end('Internal server error\n');
        },
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(metricsPort, () => resolve());
    });
    this.server = server;
    this.logger.log(`Metrics served on port ${this.port}`);
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
  }
}
