import { Global, Module } from '@nestjs/common';
import { ConfigModule as NestConfigModule, ConfigService } from '@nestjs/config';
import { AppConfig } from './app-config';
import { validateEnvironment } from './environment';

@Global()
@Module({
  imports: [
    // Loads .env into process.env (real environment wins) and stops start-up on invalid values.
    NestConfigModule.forRoot({ cache: true, envFilePath: '.env', validate: validateEnvironment }),
  ],
  providers: [
    {
      provide: AppConfig,
      // ConfigService is injected only so that .env has been loaded before we read process.env.
      inject: [ConfigService],
      useFactory: () => new AppConfig(validateEnvironment(process.env)),
    },
  ],
  exports: [AppConfig],
})
export class ConfigModule {}
