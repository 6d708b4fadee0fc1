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

export default new DataSource(dataSourceOptions(new AppConfig(validateEnvironment(process.env))));
