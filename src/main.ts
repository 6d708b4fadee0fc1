// First: the tracing instrumentations must be in place before http, pg and ioredis are loaded.
import './tracing';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import { configureApp } from './app.setup';
import { AppConfig } from './config/app-config';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule, { bufferLogs: true, rawBody: true });
  configureApp(app);
  // Every role listens on PORT: a worker process answers only its probes and /metrics there.
  await app.listen(app.get(AppConfig).port);
}

bootstrap().catch((error: unknown) => {
  // Start-up errors (invalid configuration, unreachable database) end the process with one clear line.
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
