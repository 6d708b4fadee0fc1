import { dropDatabase } from './global-setup';

export default async function globalTeardown(): Promise<void> {
  await dropDatabase(`queue_service_test_${process.pid}`);
}
