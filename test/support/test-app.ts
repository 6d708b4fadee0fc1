import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { sign } from 'jsonwebtoken';
import request from 'supertest';
import { AppModule } from '../../src/app.module';
import { configureApp } from '../../src/app.setup';
import type { Role } from '../../src/common/auth/auth-user';
import { checkedAgainstContract, contractOf } from './openapi-contract';
import { TEST_JWT_SECRET } from './test-env';

export interface TestApp {
  app: INestApplication;
  http: () => ReturnType<typeof request>;
  close: () => Promise<void>;
}

const BASE_PREFIX = process.env.REDIS_PREFIX;

/** Boots the whole service (API and workers) on the test database and a Redis prefix of its own. */
export interface TestAppOptions {
  /** Environment variables for this app only, e.g. shorter Bull lock durations. */
  env?: Record<string, string>;
  /** Share one Redis prefix between apps that stand for processes of one deployment. */
  redisPrefix?: string;
}

export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const prefix = options.redisPrefix ?? newRedisPrefix();
  // The app reads its configuration from process.env while it starts; put the suite's back after.
  const saved = { ...process.env };
  Object.assign(process.env, { REDIS_PREFIX: prefix, ...options.env });
  let app: INestApplication | undefined;
  try {
    // Providers are never replaced here: tests point the real gateways at loopback fakes through env.
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication({ bufferLogs: true, rawBody: true });
    configureApp(app);
    await app.init();
  } catch (error) {
    // A half-started app still holds connections that would keep retrying: close what it opened.
    await app?.close().catch(() => undefined);
    throw error;
  } finally {
    process.env = saved;
  }
  const started = app;
  return {
    app: started,
    // Every response is checked against the app's OpenAPI document before the test's own expectations.
    http: () => checkedAgainstContract(request(started.getHttpServer()), () => contractOf(started)),
    close: async () => {
      await started.close();
      await deleteRedisKeys(prefix);
    },
  };
}

export function newRedisPrefix(): string {
  return `${BASE_PREFIX}-${randomUUID().slice(0, 8)}`;
}

/**
 * Stops an app's Bull workers the way a crash would: without waiting for running jobs, so
 * their locks lapse and other processes see them stall. Close the app afterwards as usual.
 */
export async function crashWorkers(test: TestApp): Promise<void> {
  const { QueueRegistry } = await import('../../src/queue-store/queue-registry');
  await Promise.all(test.app.get(QueueRegistry).all().map(({ queue }) => queue.close(true)));
}

export async function deleteRedisKeys(prefix: string): Promise<void> {
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

export interface TokenOptions {
  tenantId?: string;
  roles?: Role[];
  sub?: string;
  expiresIn?: number;
  secret?: string;
}

export function tokenFor(options: TokenOptions = {}): string {
  return sign(
    { tenantId: options.tenantId ?? randomUUID(), roles: options.roles ?? ['user'] },
    options.secret ?? TEST_JWT_SECRET,
    { algorithm: 'HS256', subject: options.sub ?? 'user-1', expiresIn: options.expiresIn ?? 600 },
  );
}

/** A tenant with one token per role, for tests that act as its users. */
export function newTenant() {
  const tenantId = randomUUID();
  return {
    tenantId,
    admin: tokenFor({ tenantId, roles: ['admin'] }),
    venueAdmin: tokenFor({ tenantId, roles: ['venue_admin'] }),
    user: tokenFor({ tenantId, roles: ['user'] }),
  };
}
