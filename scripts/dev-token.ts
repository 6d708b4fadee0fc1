/**
 * Prints a development JWT. Refuses in production, where tokens come from the auth service.
 *
 *   npm run -s token -- --role admin                                   a platform operator
 *   npm run -s token -- --role venue_admin --tenant <uuid>             the administrator of one venue
 *   npm run -s token -- --role user --tenant <uuid> --sub alice        a client of one venue
 *
 * Also: `--roles a,b` (several roles in one token), `--sub <id>` (default dev-user), `--ttl <seconds>`
 * (default 3600). A platform operator's `--tenant` is its home tenant (default: the service
 * tenant, the nil UUID); a venue role needs `--tenant`.
 */
import { sign } from 'jsonwebtoken';
import { parseArgs } from 'node:util';
import { isUUID } from 'class-validator';
import { Role, ROLES } from '../src/common/auth/auth-user';
import { validateEnvironment } from '../src/config/environment';
import { SERVICE_TENANT_ID } from '../src/job-definitions/job-envelope';
import { DEVELOPMENT_SECRET_FILE } from '../src/config/auth.config';
import { existsSync } from 'node:fs';

try {
  process.loadEnvFile('.env');
} catch {
  // No .env file: the environment alone decides.
}

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

// No secret configured: the one the running development server made up and wrote down.
const hasSecret = Boolean(process.env.JWT_SECRET || process.env.JWT_SECRET_FILE);
if (!hasSecret && existsSync(DEVELOPMENT_SECRET_FILE)) process.env.JWT_SECRET_FILE = DEVELOPMENT_SECRET_FILE;
else if (!hasSecret) {
  fail(`No JWT_SECRET: start the service first (npm start writes ${DEVELOPMENT_SECRET_FILE}) or set JWT_SECRET for both.`);
}

const env = validateEnvironment(process.env);
if (env.NODE_ENV === 'production') fail('Refusing to mint a development token when NODE_ENV=production.');

const { values } = parseArgs({
  options: {
    role: { type: 'string' },
    roles: { type: 'string' },
    tenant: { type: 'string' },
    sub: { type: 'string', default: 'dev-user' },
    ttl: { type: 'string', default: '3600' },
  },
});
if (values.role && values.roles) fail('Give --role or --roles, not both.');
if (Number(values.ttl) > env.JWT_MAX_LIFETIME) {
  fail(`--ttl ${values.ttl} is longer than JWT_MAX_LIFETIME (${env.JWT_MAX_LIFETIME} s): the service would refuse the token.`);
}
const roles = (values.role ?? values.roles ?? 'admin').split(',').map((role) => role.trim());
const unknown = roles.filter((role) => !(ROLES as readonly string[]).includes(role));
if (unknown.length) fail(`Unknown role(s): ${unknown.join(', ')}. Roles: ${ROLES.join(', ')}`);

const operator = roles.includes('admin');
if (!operator && !values.tenant) fail(`A ${roles.join(', ')} token belongs to one venue: give --tenant <uuid>.`);
const tenantId = values.tenant ?? SERVICE_TENANT_ID;
if (!isUUID(tenantId)) fail(`--tenant must be a UUID, not ${tenantId}`);
const ttl = Number(values.ttl);
if (!Number.isInteger(ttl) || ttl <= 0) fail(`--ttl must be a positive number of seconds, not ${values.ttl}`);

const token = sign({ tenantId, roles: roles as Role[] }, env.JWT_SECRET, {
  algorithm: 'HS256',
  subject: values.sub,
  expiresIn: ttl,
  ...(env.JWT_ISSUER ? { issuer: env.JWT_ISSUER } : {}),
  ...(env.JWT_AUDIENCE ? { audience: env.JWT_AUDIENCE } : {}),
});
console.error(
  operator
    ? `Platform operator token (sub ${values.sub}, home tenant ${tenantId}), valid ${ttl} s`
    : `${roles.includes('venue_admin') ? 'Venue admin' : 'User'} token of tenant ${tenantId} (sub ${values.sub}), valid ${ttl} s`,
);
console.log(token);
