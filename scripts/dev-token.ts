/**
 * Prints a development JWT: npm run token -- --tenant <uuid> --roles admin[,venue_admin] [--sub id] [--ttl 3600]
 * Refuses in production, where tokens come from the auth service.
 */
import { sign } from 'jsonwebtoken';
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import { ROLES } from '../src/common/auth/auth-user';
import { validateEnvironment } from '../src/config/environment';

try {
  process.loadEnvFile('.env');
} catch {
  // No .env file: the environment alone decides.
}

const env = validateEnvironment(process.env);
if (env.NODE_ENV === 'production') {
  console.error('Refusing to mint a development token when NODE_ENV=production.');
  process.exit(1);
}

const { values } = parseArgs({
  options: {
    tenant: { type: 'string', default: randomUUID() },
    roles: { type: 'string', default: 'admin' },
    sub: { type: 'string', default: 'dev-user' },
    ttl: { type: 'string', default: '3600' },
  },
});
const roles = values.roles.split(',').map((role) => role.trim());
const unknown = roles.filter((role) => !(ROLES as readonly string[]).includes(role));
if (unknown.length) {
  console.error(`Unknown role(s): ${unknown.join(', ')}. Roles: ${ROLES.join(', ')}`);
  process.exit(1);
}

const token = sign({ tenantId: values.tenant, roles }, env.JWT_SECRET, {
  algorithm: 'HS256',
  subject: values.sub,
  expiresIn: Number(values.ttl),
  ...(env.JWT_ISSUER ? { issuer: env.JWT_ISSUER } : {}),
});
console.log(token);
