/**
 * Errors that mean a backing store is unavailable rather than that the request or the code is
 * wrong: the client should try again later (503), and nothing was accepted.
 */

/** Redis with `noeviction` answers writes with an OOM error once it is full. */
export function isRedisOutOfMemory(exception: unknown): boolean {
  return exception instanceof Error && exception.name === 'ReplyError' && exception.message.startsWith('OOM');
}

/** Socket-level failures of a connection (Node's codes). */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
/** PostgreSQL SQLSTATE classes 08 (connection exception) and 57P0x (server shutting down, cannot connect now). */
const POSTGRES_UNAVAILABLE = /^(08\d{3}|57P0[1-3])$/;
/** What node-postgres says, without a code, when a connection drops or cannot be made in time. */
const PG_CONNECTION_MESSAGES = /^Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/;

/** PostgreSQL could not be reached, or the connection to it broke mid-query. */
export function isDatabaseUnavailable(exception: unknown, depth = 0): boolean {
  // Shape, not instanceof: socket errors are made by Node's own Error, which is another realm's in a VM (Jest).
  if (typeof exception !== 'object' || exception === null || depth > 3) return false;
  const { code, message, driverError, errors } = exception as { code?: unknown; message?: unknown; driverError?: unknown; errors?: unknown };
  if (typeof code === 'string' && (CONNECTION_CODES.has(code) || POSTGRES_UNAVAILABLE.test(code))) return true;
  if (typeof message === 'string' && PG_CONNECTION_MESSAGES.test(message)) return true;
  // TypeORM wraps the driver's error; Node wraps one error per address tried in an AggregateError.
  if (driverError !== undefined && isDatabaseUnavailable(driverError, depth + 1)) return true;
  return Array.isArray(errors) && errors.some((inner) => isDatabaseUnavailable(inner, depth + 1));
}

/** What ioredis says when a command cannot reach Redis (connection closed, retries used up). */
const REDIS_CONNECTION_MESSAGES = /^Connection is closed\.|^Reached the max retries per request limit|^Stream isn't writeable/;

/** Redis could not be reached: a command failed for the connection, not for what it asked. */
export function isRedisUnavailable(exception: unknown): boolean {
  if (typeof exception !== 'object' || exception === null) return false;
  const { name, message, code } = exception as { name?: unknown; message?: unknown; code?: unknown };
  if (name === 'MaxRetriesPerRequestError') return true;
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
  return typeof message === 'string' && REDIS_CONNECTION_MESSAGES.test(message);
}
