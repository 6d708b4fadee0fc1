import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { startTestApp, TestApp } from '../support/test-app';

const ROOT = resolve(__dirname, '../..');
const REDOCLY = join(ROOT, 'node_modules/@redocly/cli/bin/cli.js');

interface LintProblem {
  ruleId: string;
  severity: 'error' | 'warn';
  message: string;
  location: { pointer: string }[];
}

/** `redocly lint` with the repository's redocly.yaml (recommended rules), offline and without telemetry. */
async function lint(directory: string, document: object): Promise<LintProblem[]> {
  const file = join(directory, `openapi-${Date.now()}.json`);
  await writeFile(file, JSON.stringify(document));
  // Exit code 1 only says "problems found": the JSON report on stdout is what counts.
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [REDOCLY, 'lint', '--config', join(ROOT, 'redocly.yaml'), '--format', 'json', file],
    {
      cwd: ROOT,
      timeout: 60_000,
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', CI: 'true' },
    },
  ).catch((error: { stdout?: string }) => {
    if (error.stdout?.trim().startsWith('{')) return { stdout: error.stdout };
    throw error;
  });
  return (JSON.parse(stdout) as { problems: LintProblem[] }).problems;
}

const describeProblem = (problem: LintProblem) =>
  `${problem.severity} ${problem.ruleId} at ${problem.location.map((place) => place.pointer).join(', ')}: ${problem.message}`;

describe('OpenAPI document under the Redocly linter', () => {
  let test: TestApp;
  let directory: string;
  let document: { servers: unknown[] };

  beforeAll(async () => {
    test = await startTestApp();
    directory = await mkdtemp(join(tmpdir(), 'openapi-lint-'));
    document = (await test.http().get('/docs-json').expect(200)).body;
  });
  afterAll(async () => {
    await test.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('finds no problem in the live /docs-json, warnings included', async () => {
    const problems = await lint(directory, document);
    expect(problems.map(describeProblem)).toEqual([]);
  });

  it('does report a problem it is configured for (an empty servers list)', async () => {
    const problems = await lint(directory, { ...document, servers: [] });
    expect(problems.map((problem) => `${problem.severity} ${problem.ruleId}`)).toContain('error no-empty-servers');
  });
});
