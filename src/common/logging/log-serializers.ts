/**
 * What a log line may say about a request, a response and an error. Allowlists, not deny
 * lists: a header, a query parameter or an error property not named here is logged without
 * its value, so a token in `X-Api-Key`, `Cookie` or `?access_token=` and the parameters of a
 * failed SQL statement (e-mail addresses, phone numbers, SMS bodies, payment methods) never
 * reach the logs, whatever name they come under.
 */
export const REDACTED = '[redacted]';

/** Headers logged with their value; any other is logged as present, with REDACTED. */
const LOGGED_REQUEST_HEADERS = new Set([
  'host', 'user-agent', 'accept', 'accept-encoding', 'accept-language', 'content-type', 'content-length',
  'x-request-id', 'x-forwarded-for', 'x-forwarded-proto', 'traceparent', 'connection',
]);
const LOGGED_RESPONSE_HEADERS = new Set([
  'content-type', 'content-length', 'x-request-id', 'location', 'retry-after', 'cache-control', 'content-disposition',
]);

/** Query parameters of the API's own filters and pages: their values are never personal. Others are REDACTED. */
const LOGGED_QUERY_PARAMETERS = new Set([
  'limit', 'offset', 'state', 'queue', 'type', 'errorType', 'from', 'to', 'format', 'severity', 'acknowledged',
]);

/** Error properties kept; anything else (`parameters`, `query`, `driverError`, `detail`, a provider's `raw`) is dropped. */
const LOGGED_ERROR_FIELDS = ['code', 'statusCode', 'status', 'errno', 'constraint', 'table', 'column', 'routine', 'severity'] as const;

export type LoggedHeaders = Record<string, string>;

/** The allowed headers with their values; any other as REDACTED, or left out when `others` says so. */
export function loggedHeaders(
  headers: Record<string, unknown> | undefined,
  allowed: ReadonlySet<string>,
  others: 'redacted' | 'omitted' = 'redacted',
): LoggedHeaders {
  const logged: LoggedHeaders = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    if (allowed.has(lower)) logged[lower] = String(value);
    else if (others === 'redacted') logged[lower] = REDACTED;
  }
  return logged;
}

/** The URL with the value of every query parameter not in the allowlist replaced by REDACTED. */
export function loggedUrl(url: string | undefined): string {
  if (!url) return '';
  const at = url.indexOf('?');
  if (at < 0) return url;
  const parameters = new URLSearchParams(url.slice(at + 1));
  const kept = [...parameters].map(([name, value]) => `${encodeURIComponent(name)}=${LOGGED_QUERY_PARAMETERS.has(name) ? encodeURIComponent(value) : REDACTED}`);
  return `${url.slice(0, at)}?${kept.join('&')}`;
}

function loggedQuery(query: unknown): Record<string, unknown> | undefined {
  if (typeof query !== 'object' || query === null) return undefined;
  return Object.fromEntries(Object.entries(query).map(([name, value]) => [name, LOGGED_QUERY_PARAMETERS.has(name) ? value : REDACTED]));
}

interface SerializedRequest {
  id?: unknown;
  method?: string;
  url?: string;
  query?: unknown;
  params?: unknown;
  headers?: Record<string, unknown>;
  remoteAddress?: string;
  remotePort?: number;
}

/** pino-http's request serializer (it receives pino's standard serialization of the request). */
export function serializeRequest(request: SerializedRequest): Record<string, unknown> {
  return {
    id: request.id,
    method: request.method,
    url: loggedUrl(request.url),
    query: loggedQuery(request.query),
    params: request.params,
    headers: loggedHeaders(request.headers, LOGGED_REQUEST_HEADERS),
    remoteAddress: request.remoteAddress,
    remotePort: request.remotePort,
  };
}

/**
 * The response's status and the allowlisted headers only: the others are the service's own
 * (security headers, rate-limit counters, ETag, Set-Cookie), the same on every line.
 */
export function serializeResponse(response: { statusCode?: number; headers?: Record<string, unknown> }): Record<string, unknown> {
  return { statusCode: response.statusCode, headers: loggedHeaders(response.headers, LOGGED_RESPONSE_HEADERS, 'omitted') };
}

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
const PHONE = /\+\d[\d ()-]{5,}\d/g;
const PAYMENT_IDS = /\b(?:pm|card|src|tok|ba|cus|seti)_[A-Za-z0-9_]+/g;
/** PostgreSQL quotes the offending value: `invalid input syntax for type uuid: "…"`, `… for enum x: "…"`. */
const QUOTED_VALUE = /"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g;

/** A message or stack without the values it may quote: e-mail addresses, phone numbers, payment ids, and (database errors) quoted literals. */
export function scrubbedText(text: string, fromDatabase: boolean): string {
  const scrubbed = text.replace(EMAIL, '[email]').replace(PAYMENT_IDS, '[payment-id]').replace(PHONE, '[number]');
  return fromDatabase ? scrubbed.replace(QUOTED_VALUE, '"[value]"') : scrubbed;
}

interface SerializedError {
  type?: string;
  message?: string;
  stack?: string;
  cause?: unknown;
  [field: string]: unknown;
}

/** pino's `err` serializer: the error's type, scrubbed message and stack, and a few diagnostic fields. */
export function serializeError(error: SerializedError, depth = 0): Record<string, unknown> {
  if (typeof error !== 'object' || error === null) return { message: scrubbedText(String(error), false) };
  const fromDatabase = isDatabaseError(error);
  const logged: Record<string, unknown> = { type: error.type ?? error.constructor?.name };
  if (typeof error.message === 'string') logged.message = scrubbedText(error.message, fromDatabase);
  if (typeof error.stack === 'string') logged.stack = scrubbedText(error.stack, fromDatabase);
  for (const field of LOGGED_ERROR_FIELDS) {
    const value = error[field];
    if (typeof value === 'string' || typeof value === 'number') logged[field] = value;
  }
  if (error.cause !== undefined && depth < 3) logged.cause = serializeError(error.cause as SerializedError, depth + 1);
  return logged;
}

/** TypeORM's QueryFailedError, or node-postgres's DatabaseError (a SQLSTATE code and a severity). */
function isDatabaseError(error: SerializedError): boolean {
  if (error.type === 'QueryFailedError' || error.name === 'QueryFailedError' || error.driverError !== undefined) return true;
  return typeof error.code === 'string' && /^[0-9A-Z]{5}$/.test(error.code) && typeof error.severity === 'string';
}
