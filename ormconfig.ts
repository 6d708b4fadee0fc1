import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { AppConfig } from './src/config/app-config';
import { validateEnvironment } from './src/config/environment';
import { dataSourceOptions } from './src/database/data-source-options';

// Data source for the TypeORM CLI (npm run migration:run | migration:revert | migration:generate).
try {
  process.loadEnvFile('.env');
} catch {
  // No .env file: the environment alone configures the CLI.
}

// Running migrations needs no entities; migration:generate compares them with the schema, so the CLI finds them all.
// A migration may run long (an index build on a big table): the CLI's sessions have no statement timeout.
const options = dataSourceOptions(new AppConfig(validateEnvironment(process.env)));
export default new DataSource({
  ...options,
  extra: { ...options.extra, statement_timeout: 0 },
  entities: [join(__dirname, 'src/**/*.entity.{ts,js}')],
});
