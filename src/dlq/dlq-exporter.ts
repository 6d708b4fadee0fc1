import { Injectable } from '@nestjs/common';
import type { Writable } from 'node:stream';
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

/** Streams a tenant's matching entries, newest first, into `out`, respecting its backpressure. */
@Injectable()
export class DlqExporter {
  constructor(private readonly entries: DeadLetterRepository) {}

  async export(tenantId: string, filter: DeadLetterFilter, format: ExportFormat, out: Writable): Promise<void> {
    const document = new ExportDocument(format);
    await this.entries.forEachPage(tenantId, filter, EXPORT_PAGE_SIZE, (page) =>
      write(out, document.page(page.map(viewOfEntry))),
    );
    await write(out, document.end());
    out.end();
  }
}

/**
 * Writes one chunk and waits while the client is slow. A client that goes away rejects the
 * wait, which ends the export's transaction instead of holding its connection forever.
 */
function write(out: Writable, chunk: string): Promise<void> {
  if (out.destroyed) return Promise.reject(new ExportAbortedError());
  if (chunk === '' || out.write(chunk)) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const settle = (error?: Error) => {
      out.off('drain', onDrain);
      out.off('close', onClose);
      if (error) reject(error);
      else resolve();
    };
    const onDrain = () => settle();
    const onClose = () => settle(new ExportAbortedError());
    out.on('drain', onDrain);
    out.on('close', onClose);
  });
}
