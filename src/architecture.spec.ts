import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';

/**
 * The layers of docs/ARCHITECTURE.md, bottom first. A folder may import its own files and
 * folders of lower layers only: imports point down, and no two folders import each other.
 * `common/` is split by subfolder because its parts sit on both sides of `config/`.
 */
const LAYERS: string[][] = [
  ['common/errors', 'common/http', 'common/sandbox', 'common/service-version'],
  ['common/validation', 'common/openapi'],
  ['job-definitions'],
  ['config'],
  ['common/auth', 'common/logging', 'common/rate-limit'],
  ['database'],
  ['audit'],
  ['cache'],
  ['monitoring'],
  ['dead-letters', 'idempotency'],
  ['persistence'],
  ['queue-store'],
  ['rate-limit'],
  ['jobs'],
  ['alerting'],
  ['queues', 'dlq', 'payments', 'nft', 'notifications', 'background', 'observability', 'webhooks'],
  ['stripe-webhooks', 'schedules'],
  ['dashboard'],
  ['openapi'],
  ['(root)'],
];

const SRC = __dirname;

function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') && !path.endsWith('.spec.ts') ? [path] : [];
  });
}

function unitOf(path: string): string | null {
  const parts = relative(SRC, path).split(sep);
  if (parts[0] === '..') return null; // outside src (migrations)
  if (parts.length === 1) return '(root)';
  return parts[0] === 'common' ? `common/${parts[1]}` : parts[0];
}

function layerOf(unit: string): number {
  const index = LAYERS.findIndex((layer) => layer.includes(unit));
  if (index < 0) throw new Error(`${unit} is in no layer of docs/ARCHITECTURE.md; add it to the map and to LAYERS`);
  return index;
}

describe('the map of src/ (docs/ARCHITECTURE.md)', () => {
  const imports = sourceFiles(SRC).flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(/from '(\.[^']+)'|import\('(\.[^']+)'\)/g)].map((match) => ({
      file: relative(SRC, file),
      from: unitOf(file)!,
      to: unitOf(normalize(join(dirname(file), match[1] ?? match[2]))),
    })),
  );

  it('places every folder in a layer', () => {
    for (const { from } of imports) expect(() => layerOf(from)).not.toThrow();
  });

  it('has every import point down a layer (or stay in its folder)', () => {
    const upward = imports
      .filter(({ from, to }) => to !== null && to !== from && layerOf(to) >= layerOf(from))
      .map(({ file, from, to }) => `${file}: ${from} -> ${to}`);
    expect(upward).toEqual([]);
  });

  it('keeps the job vocabulary a leaf: job-definitions imports only validation helpers', () => {
    const reached = new Set(imports.filter(({ from, to }) => from === 'job-definitions' && to && to !== from).map(({ to }) => to));
    expect([...reached]).toEqual(['common/validation']);
  });
});
