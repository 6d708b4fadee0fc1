import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import pino from 'pino';
import type { Options } from 'pino-http';
import { AppConfig } from '../../config/app-config';
import { currentJobLogFields } from './job-log-context';
import { loggedUrl, serializeError, serializeRequest, serializeResponse } from './log-serializers';

/** Credentials a log line must never carry; the dashboard's session cookie travels in Set-Cookie. */
export const REDACTED_PATHS = [
  'req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]', '*.password', '*.secret', '*.token',
];

/**
 * Structured logs: one line per request (with its request id) and per job event (with the
 * job's id, type, queue, tenant, attempt and trace id, see job-log-context.ts). Credentials
 * and payload values are kept out: requests, responses and errors go through the allowlists
 * of log-serializers.ts, and the paths below are redacted besides. JSON, or readable single lines in a development terminal.
 */
export const LoggingModule = LoggerModule.forRootAsync({
  inject: [AppConfig],
  useFactory: (config: AppConfig) => {
    const pretty = wantsPrettyLogs(config);
    const options: Options = {
      level: config.logLevel,
      // Set by assignRequestId, which runs first; the fallback covers apps configured without it.
      genReqId: (request: IncomingMessage) => request.id ?? randomUUID(),
      // Lines written while the request is served carry its id only (quietReqLogger); the
      // request itself, serialized once, goes on its closing line with the response.
      quietReqLogger: true,
      customAttributeKeys: { reqId: 'requestId' },
      customSuccessMessage: requestLine,
      customErrorMessage: requestLine,
      // Allowlists (log-serializers.ts): no token in a header or the query, no value of a failed statement.
      serializers: { req: serializeRequest, res: serializeResponse, err: serializeError },
      mixin: () => currentJobLogFields(),
      redact: {
        paths: REDACTED_PATHS,
        censor: '[redacted]',
      },
      autoLogging: { ignore: (request: IncomingMessage) => /^\/(health|metrics)(\/|\?|$)/.test(request.url ?? '') },
      transport: pretty
        ? {
            target: 'pino-pretty',
            options: {
              singleLine: true,
              colorize: Boolean(process.stdout.isTTY),
              translateTime: 'SYS:HH:MM:ss.l',
              // The request line's message says method, path and status; the rest stays in JSON logs.
              ignore: 'pid,hostname,req,res',
            },
          }
        : undefined,
    };
    // JSON lines go out asynchronously (sonic-boom coalesces the lines written while a write is
    // under way; pino flushes on exit): one synchronous write per line was, with the database's,
    // most of the native time per job in the bench profile (README, Performance).
    return { pinoHttp: pretty ? options : [options, pino.destination({ dest: 1, sync: false })] };
  },
});

/** `GET /jobs?limit=5 200`, the query's values redacted unless they are the API's own filters. */
function requestLine(request: IncomingMessage & { originalUrl?: string }, response: ServerResponse): string {
  return `${request.method} ${loggedUrl(request.originalUrl ?? request.url)} ${response.statusCode}`;
}

/** Readable lines for a developer at a terminal (or when asked for); JSON everywhere else and where pino-pretty is absent. */
function wantsPrettyLogs(config: AppConfig): boolean {
  if (config.logFormat === 'json') return false;
  if (config.logFormat === 'auto' && (config.nodeEnv !== 'development' || !process.stdout.isTTY)) return false;
  try {
    require.resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}
