// First: the tracing instrumentations must be in place before http, pg and ioredis are loaded.
import './tracing';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import { configureApp } from './app.setup';
import { AppConfig } from './config/app-config';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule, { bufferLogs: true, rawBody: true });
  configureApp(app);
  const config = app.get(AppConfig);
  if (config.servesApi) {
    await app.listen(config.port);
  } else {
    // Workers take jobs from Redis; they serve no HTTP.
    await app.init();
  }
}

bootstrap().catch((error: unknown) => {
  // Start-up errors (invalid configuration, unreachable database) end the process with one clear line.
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
