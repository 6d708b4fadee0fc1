import { DataSourceOptions } from 'typeorm';
import { BaselineQueue1764201600001 } from '../../migrations/001-baseline-queue';
import { ReliableExecution1764201600002 } from '../../migrations/002-reliable-execution';
import { OutboxAndOrigins1764201600003 } from '../../migrations/003-outbox-and-origins';
import { AppConfig } from '../config/app-config';
import { ENTITIES } from './entities';

export const MIGRATIONS = [BaselineQueue1764201600001, ReliableExecution1764201600002, OutboxAndOrigins1764201600003];

/** One definition of the connection, shared by the service and the TypeORM CLI (ormconfig.ts). */
export function dataSourceOptions(config: AppConfig): DataSourceOptions {
  return {
    type: 'postgres',
    url: config.database.url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    extra: { max: config.database.poolSize },
  };
}
