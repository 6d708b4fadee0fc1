import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The flags between `node` and the script in package.json's `start:prod` (the heap limit): what
 * production runs the service with, so the bench and the tests that measure it do too.
 */
export function productionNodeFlags(): string[] {
  const { scripts } = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const [node, ...rest] = scripts['start:prod'].split(/\s+/);
  if (node !== 'node') throw new Error('start:prod is expected to run node');
  return rest.filter((word) => word.startsWith('--'));
}
