import { HttpException, HttpStatus, Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';

/** Over the cap: the error shape's 429, with how long to wait. */
export class TooManyExportsException extends HttpException {
  constructor(message: string) {
    super(message, HttpStatus.TOO_MANY_REQUESTS);
  }
}

export type ReleaseSlot = () => void;

/**
 * Counts the exports running in this process, overall and per tenant. Each export holds one
 * pooled connection for as long as its client reads; the caps (DLQ_EXPORT_MAX_CONCURRENT, at
 * most half the pool, and DLQ_EXPORT_MAX_PER_TENANT) keep the rest of the pool for the API and
 * the workers. The pool is per process, so the count is too.
 */
@Injectable()
export class ExportSlots {
  private running = 0;
  private readonly byTenant = new Map<string, number>();

  constructor(private readonly config: AppConfig) {}

  /** Takes a slot or throws 429; call the answer exactly once when the export has ended. */
  acquire(tenantId: string): ReleaseSlot {
    const { maxConcurrent, maxPerTenant } = this.config.dlqExport;
    const ofTenant = this.byTenant.get(tenantId) ?? 0;
    if (ofTenant >= maxPerTenant) {
      throw new TooManyExportsException(`This tenant already runs ${ofTenant} export(s), the most allowed at once; try again when one has finished`);
    }
    if (this.running >= maxConcurrent) {
      throw new TooManyExportsException('Too many exports are running; try again shortly');
    }
    this.running += 1;
    this.byTenant.set(tenantId, ofTenant + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running -= 1;
      const left = (this.byTenant.get(tenantId) ?? 1) - 1;
      if (left > 0) this.byTenant.set(tenantId, left);
      else this.byTenant.delete(tenantId);
    };
  }
}
