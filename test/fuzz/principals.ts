import { createHmac, randomUUID } from 'node:crypto';
import { sign } from 'jsonwebtoken';
import type { Role } from '../../src/common/auth/auth-user';
import { TEST_JWT_SECRET } from '../support/test-env';

/** Who sends a fuzz request: a real role of one of two tenants, nobody, or a bad token. */
export interface Principal {
  name: string;
  /** The Authorization header's value, absent for nobody. */
  authorization?: string;
  /** Valid tokens only: the tenant and roles the service must act for. */
  tenantId?: string;
  roles?: Role[];
  sub?: string;
}

export interface Tenants {
  a: string;
  b: string;
}

function bearer(claims: { tenantId: string; roles: Role[]; sub: string }, options: { secret?: string; expiresIn?: number } = {}): string {
  return `Bearer ${sign({ tenantId: claims.tenantId, roles: claims.roles }, options.secret ?? TEST_JWT_SECRET, {
    algorithm: 'HS256', subject: claims.sub, expiresIn: options.expiresIn ?? 3600,
  })}`;
}

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

function valid(name: string, tenantId: string, roles: Role[], sub: string): Principal {
  return { name, authorization: bearer({ tenantId, roles, sub }), tenantId, roles, sub };
}

/** A user token of tenant A whose payload is changed to admin while the signature is kept. */
function tampered(tenantId: string): string {
  const [header, , signature] = bearer({ tenantId, roles: ['user'], sub: 'user-a1' }).slice(7).split('.');
  const payload = base64url({ tenantId, roles: ['admin'], sub: 'user-a1', exp: Math.floor(Date.now() / 1000) + 3600 });
  return `Bearer ${header}.${payload}.${signature}`;
}

function unsigned(tenantId: string): string {
  const payload = base64url({ tenantId, roles: ['admin'], sub: 'root', exp: Math.floor(Date.now() / 1000) + 3600 });
  return `Bearer ${base64url({ alg: 'none', typ: 'JWT' })}.${payload}.`;
}

/** HS256 signed with the right secret over a header that names another algorithm. */
function algorithmConfusion(tenantId: string): string {
  const header = base64url({ alg: 'HS512', typ: 'JWT' });
  const payload = base64url({ tenantId, roles: ['admin'], sub: 'root', exp: Math.floor(Date.now() / 1000) + 3600 });
  const signature = createHmac('sha256', TEST_JWT_SECRET).update(`${header}.${payload}`).digest('base64url');
  return `Bearer ${header}.${payload}.${signature}`;
}

export function principalsFor(tenants: Tenants) {
  const { a, b } = tenants;
  const good = {
    adminA: valid('admin(A)', a, ['admin'], 'admin-a'),
    venueA: valid('venue_admin(A)', a, ['venue_admin'], 'venue-a'),
    userA1: valid('user1(A)', a, ['user'], 'user-a1'),
    userA2: valid('user2(A)', a, ['user'], 'user-a2'),
    venueB: valid('venue_admin(B)', b, ['venue_admin'], 'venue-b'),
    userB: valid('user(B)', b, ['user'], 'user-b1'),
  };
  const bad: Principal[] = [
    { name: 'no token' },
    { name: 'forged', authorization: bearer({ tenantId: a, roles: ['admin'], sub: 'x' }, { secret: 'not-the-secret-0123456789abcdef' }) },
    { name: 'tampered', authorization: tampered(a) },
    { name: 'expired', authorization: bearer({ tenantId: a, roles: ['admin'], sub: 'x' }, { expiresIn: -60 }) },
    { name: 'alg:none', authorization: unsigned(a) },
    { name: 'alg mismatch', authorization: algorithmConfusion(a) },
    { name: 'garbage', authorization: `Bearer ${randomUUID()}.e30.x` },
    { name: 'no tenant', authorization: `Bearer ${sign({ roles: ['admin'] }, TEST_JWT_SECRET, { algorithm: 'HS256', subject: 'x', expiresIn: 600 })}` },
  ];
  return { good, bad, all: [...Object.values(good), ...bad] };
}

export const isAuthenticated = (principal: Principal) => principal.tenantId !== undefined;
