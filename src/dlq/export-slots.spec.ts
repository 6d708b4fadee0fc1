import { AppConfig } from '../config/app-config';
import { validateEnvironment } from '../config/environment';
import { ExportSlots, TooManyExportsException } from './export-slots';

function slots(maxConcurrent: number, maxPerTenant: number): ExportSlots {
  return new ExportSlots(new AppConfig(validateEnvironment({
    DATABASE_POOL_SIZE: String(maxConcurrent * 2),
    DLQ_EXPORT_MAX_CONCURRENT: String(maxConcurrent),
    DLQ_EXPORT_MAX_PER_TENANT: String(maxPerTenant),
  })));
}

describe('ExportSlots', () => {
  it('refuses a tenant beyond its own cap, and everyone beyond the overall cap', () => {
    const exports = slots(3, 1);
    const a = exports.acquire('a');
    expect(() => exports.acquire('a')).toThrow(TooManyExportsException);
    exports.acquire('b');
    exports.acquire('c');
    expect(() => exports.acquire('d')).toThrow(/Too many exports are running/);
    a();
    expect(() => exports.acquire('d')).not.toThrow();
  });

  it('answers 429 and frees a slot once however often it is released', () => {
    const exports = slots(2, 2);
    const first = exports.acquire('a');
    first();
    first();
    exports.acquire('a');
    exports.acquire('a');
    try {
      exports.acquire('b');
      throw new Error('acquired a third slot');
    } catch (error) {
      expect(error).toBeInstanceOf(TooManyExportsException);
      expect((error as TooManyExportsException).getStatus()).toBe(429);
    }
  });
});
