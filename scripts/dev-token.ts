/**
 * Prints a development JWT: npm run token -- --tenant <uuid> --roles admin[,venue_admin] [--sub id] [--ttl 3600]
 * Refuses in production, where tokens come from the auth service.
 */
import { sign } from 'jsonwebtoken';
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import { ROLES } from '../src/common/auth/auth-user';
import { validateEnvironment } from '../src/config/environment';
import { DEVELOPMENT_SECRET_FILE } from '../src/config/auth.config';
import { existsSync } from 'node:fs';

try {
  process.loadEnvFile('.env');
} catch {
  // No .env file: the environment alone decides.
}

// No secret configured: the one the running development server made up and wrote down.
const hasSecret = Boolean(process.env.JWT_SECRET || process.env.JWT_SECRET_FILE);
if (!hasSecret && existsSync(DEVELOPMENT_SECRET_FILE)) process.env.JWT_SECRET_FILE = DEVELOPMENT_SECRET_FILE;
else if (!hasSecret) {
  console.error(`No JWT_SECRET: start the service first (npm start writes ${DEVELOPMENT_SECRET_FILE}) or set JWT_SECRET for both.`);
  process.exit(1);
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
if (Number(values.ttl) > env.JWT_MAX_LIFETIME) {
  console.error(`--ttl ${values.ttl} is longer than JWT_MAX_LIFETIME (${env.JWT_MAX_LIFETIME} s): the service would refuse the token.`);
  process.exit(1);
}
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
  ...(env.JWT_AUDIENCE ? { audience: env.JWT_AUDIENCE } : {}),
});
console.log(token);
