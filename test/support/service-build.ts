import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const REPO_ROOT = join(__dirname, '..', '..');
const OUT_DIR = join(REPO_ROOT, '.test-build');

/** The service's entry point as plain JavaScript, for tests that run it as a child process. */
export const SERVICE_ENTRY = join(OUT_DIR, 'src', 'main.js');

/**
 * Compiles src/ once per run (tsconfig.build.json, incremental) so each worker process the
 * tests start loads JavaScript: under ts-node every start transpiled the whole service again,
 * about 7 s on an idle 2-core machine against 2.5 s compiled, and far more under load. Inside
 * the repository so the compiled files find node_modules.
 */
export async function buildServiceForTests(): Promise<void> {
  await promisify(execFile)(
    process.execPath,
    [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', OUT_DIR,
      '--incremental', '--tsBuildInfoFile', join(OUT_DIR, 'tsbuildinfo'), '--sourceMap', 'false'],
    { cwd: REPO_ROOT, timeout: 300_000 },
  ).catch((error: Error & { stdout?: string }) => {
    throw new Error(`Compiling the service for the worker-process tests failed:\n${error.stdout ?? error.message}`);
  });
  if (!existsSync(SERVICE_ENTRY)) throw new Error(`${SERVICE_ENTRY} is missing after compiling`);
}
