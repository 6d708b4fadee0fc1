import { Injectable } from '@nestjs/common';
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { AuthUser, Role, ROLES } from '../common/auth/auth-user';
import { AppConfig } from '../config/app-config';

export const DASHBOARD_PATH = '/admin/queues';
export const DASHBOARD_COOKIE = 'qs_dashboard';

/** What a session cookie carries: the admin who opened it and when it lapses. */
interface SessionClaims {
  sub: string;
  tenantId: string;
  roles: Role[];
  /** Seconds since the epoch. */
  exp: number;
}

export interface DashboardSession {
  value: string;
  expiresAt: Date;
}

/**
 * Short-lived sessions for the queue dashboard, which a browser opens without a bearer header.
 * The value is `<claims>.<HMAC>`; its key is derived from JWT_SECRET, so a token signature can
 * never pass for a cookie signature or the other way round.
 */
@Injectable()
export class DashboardSessions {
  private readonly key: Buffer;
  private readonly ttlSeconds: number;

  constructor(config: AppConfig) {
    this.key = Buffer.from(hkdfSync('sha256', config.auth.jwtSecret, '', 'queue-service/dashboard-session', 32));
    this.ttlSeconds = config.dashboardSessionTtlSeconds;
  }

  open(user: AuthUser, now = Date.now()): DashboardSession {
    const exp = Math.floor(now / 1000) + this.ttlSeconds;
    const claims: SessionClaims = { sub: user.userId, tenantId: user.tenantId, roles: user.roles, exp };
    const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
    return { value: `${body}.${this.signature(body)}`, expiresAt: new Date(exp * 1000) };
  }

  /** The session's user, or null for a value that is forged, altered, malformed or lapsed. */
  verify(value: unknown, now = Date.now()): AuthUser | null {
    if (typeof value !== 'string') return null;
    const [body, signature, ...rest] = value.split('.');
    if (!body || !signature || rest.length) return null;
    const expected = Buffer.from(this.signature(body));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    const claims = parseClaims(body);
    if (!claims || claims.exp * 1000 <= now) return null;
    return { userId: claims.sub, tenantId: claims.tenantId, roles: claims.roles };
  }

  get lifetimeSeconds(): number {
    return this.ttlSeconds;
  }

  private signature(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }
}

function parseClaims(body: string): SessionClaims | null {
  try {
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Partial<SessionClaims>;
    const valid =
      typeof claims.sub === 'string' &&
      typeof claims.tenantId === 'string' &&
      typeof claims.exp === 'number' &&
      Array.isArray(claims.roles) &&
      claims.roles.every((role) => ROLES.includes(role));
    return valid ? (claims as SessionClaims) : null;
  } catch {
    return null;
  }
}
