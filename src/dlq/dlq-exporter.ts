import { Injectable } from '@nestjs/common';
import type { Writable } from 'node:stream';
import { AppConfig } from '../config/app-config';
import { DeadLetterRepository, DeadLetterFilter } from '../dead-letters/dead-letter.repository';
import { viewOfEntry } from './dead-letter-view.mapper';
import { ExportDocument } from './dlq-export.format';
import type { ExportFormat } from './dto/dlq-filter.dto';

export const EXPORT_PAGE_SIZE = 500;

export class ExportAbortedError extends Error {
  constructor() {
    super('The client went away during the export');
  }
}

export class ExportStalledError extends Error {
  constructor(idleMs: number) {
    super(`The client took nothing of the export for ${idleMs} ms; cut off`);
  }
}

/**
 * Streams a tenant's matching entries, newest first, into `out`, respecting its backpressure.
 * A client that takes nothing for DLQ_EXPORT_IDLE_TIMEOUT_MS is given up on: the export
 * rejects, which ends its transaction and gives its connection back to the pool.
 */
@Injectable()
export class DlqExporter {
  constructor(
    private readonly entries: DeadLetterRepository,
    private readonly config: AppConfig,
  ) {}

  async export(tenantId: string, filter: DeadLetterFilter, format: ExportFormat, out: Writable): Promise<void> {
    const document = new ExportDocument(format);
    const idleMs = this.config.dlqExport.idleTimeoutMs;
    await this.entries.forEachPage(tenantId, filter, EXPORT_PAGE_SIZE, (page) =>
      write(out, document.page(page.map(viewOfEntry)), idleMs),
    );
    await write(out, document.end(), idleMs);
    out.end();
  }
}

/**
 * Writes one chunk and waits while the client is slow, at most `idleMs` for it to take what
 * is buffered. A client that goes away or stalls rejects the wait, which ends the export's
 * transaction instead of holding its connection.
 */
function write(out: Writable, chunk: string, idleMs: number): Promise<void> {
  if (out.destroyed) return Promise.reject(new ExportAbortedError());
  if (chunk === '' || out.write(chunk)) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const settle = (error?: Error) => {
      clearTimeout(timer);
      out.off('drain', onDrain);
      out.off('close', onClose);
      if (error) reject(error);
      else resolve();
    };
    const onDrain = () => settle();
    const onClose = () => settle(new ExportAbortedError());
    const timer = setTimeout(() => settle(new ExportStalledError(idleMs)), idleMs);
    out.on('drain', onDrain);
    out.on('close', onClose);
  });
}
