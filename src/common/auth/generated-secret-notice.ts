import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { chmodSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { AppConfig } from '../../config/app-config';
import { DEVELOPMENT_SECRET_FILE } from '../../config/auth.config';

/**
 * When no JWT_SECRET was configured (outside production only), says so at start-up: tokens
 * are signed with a random secret of this process, so none from an earlier run is accepted.
 * A development API process writes it to DEVELOPMENT_SECRET_FILE (mode 600), where
 * `npm run token` finds it.
 */
@Injectable()
export class GeneratedSecretNotice implements OnApplicationBootstrap {
  private readonly logger = new Logger('Auth');

  constructor(private readonly config: AppConfig) {}

  onApplicationBootstrap(): void {
    if (!this.config.auth.secretGenerated) return;
    const writesFile = this.config.nodeEnv === 'development' && this.config.appRole !== 'worker';
    if (writesFile) {
      const path = resolve(DEVELOPMENT_SECRET_FILE);
      writeFileSync(path, `${this.config.auth.jwtSecret}\n`, { mode: 0o600 });
      chmodSync(path, 0o600);
    }
    this.logger.warn(
      `JWT_SECRET is not set: HS256 tokens are verified with a random secret made by this process at start-up` +
        (writesFile ? `, written to ${DEVELOPMENT_SECRET_FILE} for npm run token` : '') +
        '; tokens from an earlier run are refused',
    );
  }
}
