import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppConfig } from '../../config/app-config';
import { DEVELOPMENT_SECRET_FILE } from '../../config/auth.config';
import { GeneratedSecretNotice } from './generated-secret-notice';

describe('GeneratedSecretNotice', () => {
  const original = process.cwd();
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dev-secret-'));
    process.chdir(dir);
  });
  afterEach(() => process.chdir(original));

  const notice = (nodeEnv: string, appRole: string, secretGenerated: boolean) =>
    new GeneratedSecretNotice({ nodeEnv, appRole, auth: { jwtSecret: 'generated-secret-0123456789', secretGenerated } } as unknown as AppConfig);

  it('writes a generated secret for npm run token in development, readable by its owner only', () => {
    notice('development', 'all', true).onApplicationBootstrap();
    const path = join(dir, DEVELOPMENT_SECRET_FILE);
    expect(readFileSync(path, 'utf8')).toBe('generated-secret-0123456789\n');
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it.each([
    ['a configured secret', 'development', 'all', false],
    ['a test process', 'test', 'all', true],
    ['a worker process, which takes no tokens', 'development', 'worker', true],
  ])('writes nothing for %s', (_case, nodeEnv, appRole, generated) => {
    notice(nodeEnv, appRole, generated).onApplicationBootstrap();
    expect(existsSync(join(dir, DEVELOPMENT_SECRET_FILE))).toBe(false);
  });
});
