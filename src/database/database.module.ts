import { Global, Logger, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config';
import { AdvisoryLocks } from './advisory-lock';
import { dataSourceOptions } from './data-source-options';
import { ensureDatabaseExists } from './ensure-database';
import { RedisPolicyCheck } from './redis-policy.check';
import { REDIS_CLIENT_PROVIDERS, RedisClient } from './redis.provider';
import { TenantScope } from './tenant-scope';

@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [AppConfig],
      useFactory: async (config: AppConfig) => {
        // Production databases and their migrations are managed by command, never at start-up.
        if (!config.isProduction && (await ensureDatabaseExists(config.database.url))) {
          new Logger('Database').log('Created the database named in DATABASE_URL');
        }
        return { ...dataSourceOptions(config), autoLoadEntities: true, migrationsRun: !config.isProduction };
      },
    }),
  ],
  providers: [TenantScope, AdvisoryLocks, ...REDIS_CLIENT_PROVIDERS, RedisPolicyCheck],
  exports: [TenantScope, AdvisoryLocks, RedisClient],
})
export class DatabaseModule {}
