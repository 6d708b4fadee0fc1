import { readFileSync } from 'node:fs';

/** Variables that may instead be given as a path in `<NAME>_FILE` (Docker and Kubernetes secrets). */
export const FILE_SECRETS = [
  'JWT_SECRET',
  'JWT_PUBLIC_KEY',
  'STRIPE_SECRET_KEY',
  'STRIPE_WEBHOOK_SECRET',
  'SMTP_URL',
  'TWILIO_AUTH_TOKEN',
  'SOLANA_PAYER_SECRET_KEY',
  'NFT_KEY_ENCRYPTION_KEY',
] as const;

/**
 * The environment with each `<NAME>_FILE` read into `<NAME>` (trailing newline trimmed). Giving
 * both is refused, and so is a file that cannot be read: the problem names the variable, never
 * the secret.
 */
export function withSecretFiles(raw: Record<string, unknown>): { env: Record<string, unknown>; problems: string[] } {
  const env = { ...raw };
  const problems: string[] = [];
  for (const name of FILE_SECRETS) {
    const path = raw[`${name}_FILE`];
    if (typeof path !== 'string' || path === '') continue;
    if (raw[name] !== undefined && raw[name] !== '') {
      problems.push(`${name}_FILE: give ${name} or ${name}_FILE, not both`);
      continue;
    }
    try {
      env[name] = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
    } catch {
      problems.push(`${name}_FILE: cannot read the file it names`);
    }
  }
  return { env, problems };
}
