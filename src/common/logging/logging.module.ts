import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import { AppConfig } from '../../config/app-config';

/** Credentials a log line must never carry; the dashboard's session cookie travels in Set-Cookie. */
export const REDACTED_PATHS = [
  'req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]', '*.password', '*.secret', '*.token',
];

/** Structured logs with a request id on every line; credentials are redacted. */
export const LoggingModule = LoggerModule.forRootAsync({
  inject: [AppConfig],
  useFactory: (config: AppConfig) => ({
    pinoHttp: {
      level: config.logLevel,
      // Set by assignRequestId, which runs first; the fallback covers apps configured without it.
      genReqId: (request: IncomingMessage) => request.id ?? randomUUID(),
      redact: {
        paths: REDACTED_PATHS,
        censor: '[redacted]',
      },
      autoLogging: { ignore: (request: IncomingMessage) => request.url?.startsWith('/health') ?? false },
      transport: wantsPrettyLogs(config) ? { target: 'pino-pretty', options: { singleLine: true } } : undefined,
    },
  }),
});

/** Readable lines for a developer at a terminal; JSON everywhere else (and where pino-pretty is not installed). */
function wantsPrettyLogs(config: AppConfig): boolean {
  if (config.nodeEnv !== 'development' || !process.stdout.isTTY) return false;
  try {
    require.resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}
