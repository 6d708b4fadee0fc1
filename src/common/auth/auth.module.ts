import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { JwtAuthGuard, RolesGuard } from './guards';
import { JwtKeys } from './jwt-keys';
import { JwtStrategy } from './jwt.strategy';
import { GeneratedSecretNotice } from './generated-secret-notice';
import { RefusedRequests } from './refused-requests';

/** Every route needs a valid token unless marked @Public(); roles are checked after. */
@Module({
  imports: [PassportModule],
  providers: [
    JwtKeys,
    JwtStrategy,
    GeneratedSecretNotice,
    RefusedRequests,
    { provide: APP_GUARD, useClass: JwtAuthGuard },
    { provide: APP_GUARD, useClass: RolesGuard },
  ],
})
export class AuthModule {}
