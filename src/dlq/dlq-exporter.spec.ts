import { Writable } from 'node:stream';
import type { DeadLetterJob } from '../dead-letters/dead-letter.entity';
import type { DeadLetterRepository } from '../dead-letters/dead-letter.repository';
import { AppConfig } from '../config/app-config';
import { validateEnvironment } from '../config/environment';
import { DlqExporter, ExportAbortedError, ExportStalledError } from './dlq-exporter';

const CONFIG = new AppConfig(validateEnvironment({ DLQ_EXPORT_IDLE_TIMEOUT_MS: '200' }));

function entries(count: number, offset = 0): DeadLetterJob[] {
  const at = new Date('2026-01-02T03:04:05.678Z');
  return Array.from({ length: count }, (_, index) => ({
    id: `entry-${offset + index}`,
    tenantId: 'tenant',
    jobId: `job-${offset + index}`,
    queue: 'money',
    type: 'payment-process',
    data: { padding: 'x'.repeat(200) },
    idempotencyKey: null,
    errorType: 'card_declined',
    errorMessage: 'declined',
    attempts: 1,
    firstFailedAt: at,
    lastFailedAt: at,
    createdAt: at,
  }));
}

/** Stands in for the repository's cursor: hands over the pages it was given, in order. */
function pagesOf(pages: DeadLetterJob[][]): DeadLetterRepository {
  return {
    forEachPage: async (_tenant: string, _filter: object, _size: number, onPage: (page: DeadLetterJob[]) => Promise<void>) => {
      for (const page of pages) await onPage(page);
    },
  } as unknown as DeadLetterRepository;
}

/** A client that reads slowly, so that the exporter has to wait for 'drain'. */
function slowClient(): Writable & { received: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    highWaterMark: 1024,
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      setTimeout(done, 1);
    },
  });
  return Object.assign(stream, { received: () => Buffer.concat(chunks).toString('utf8') });
}

describe('DlqExporter', () => {
  it('writes every page through a slow client, honouring backpressure', async () => {
    const client = slowClient();
    const exporter = new DlqExporter(pagesOf([entries(50), entries(50, 50), entries(7, 100)]), CONFIG);
    await exporter.export('tenant', {}, 'json', client);
    await new Promise((resolve) => client.once('finish', resolve));
    const items = JSON.parse(client.received()) as { id: string }[];
    expect(items).toHaveLength(107);
    expect(items[106].id).toBe('entry-106');
  });

  it('stops, rather than waiting forever, when the client goes away', async () => {
    const client = slowClient();
    const pages = Array.from({ length: 100 }, (_, page) => entries(50, page * 50));
    const exporter = new DlqExporter(pagesOf(pages), CONFIG);
    setTimeout(() => client.destroy(), 5);
    await expect(exporter.export('tenant', {}, 'csv', client)).rejects.toBeInstanceOf(ExportAbortedError);
  });

  it('gives up on a client that takes nothing for the idle timeout, ending the pages early', async () => {
    const stalled = new Writable({ highWaterMark: 1024, write: () => undefined }); // never calls back: never drains
    let pagesRead = 0;
    const pages = Array.from({ length: 100 }, (_, page) => entries(50, page * 50));
    const repository = {
      forEachPage: async (_t: string, _f: object, _s: number, onPage: (page: DeadLetterJob[]) => Promise<void>) => {
        for (const page of pages) {
          pagesRead += 1;
          await onPage(page);
        }
      },
    } as unknown as DeadLetterRepository;
    await expect(new DlqExporter(repository, CONFIG).export('tenant', {}, 'json', stalled)).rejects.toBeInstanceOf(ExportStalledError);
    expect(pagesRead).toBe(1);
  });
});
