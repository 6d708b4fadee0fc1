import * as Joi from 'joi';
import { decodeEncryptionKey, decodeSolanaSecretKey } from './solana-keys.config';

/** The external providers a deployment may turn off (their jobs then fail as `provider_disabled`). */
export const CONFIGURABLE_PROVIDERS = ['stripe', 'email', 'sms', 'solana'] as const;
export type ConfigurableProvider = (typeof CONFIGURABLE_PROVIDERS)[number];

/**
 * How a provider's gateway runs: `live` with its credentials, `sandbox` without them outside
 * production (deterministic, no network; the start-up log says so), `disabled` when the
 * deployment turned it off.
 */
export type ProviderMode = 'live' | 'sandbox' | 'disabled';

/** The credentials that make each provider live; in production an enabled provider needs all of them. */
export const PROVIDER_CREDENTIALS: Record<ConfigurableProvider, string[]> = {
  stripe: ['STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET'],
  email: ['SMTP_URL', 'MAIL_FROM'],
  sms: ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_FROM'],
  solana: ['SOLANA_RPC_URL', 'SOLANA_PAYER_SECRET_KEY', 'NFT_KEY_ENCRYPTION_KEY'],
};

export interface ProviderEnvironment {
  PROVIDERS_DISABLED: ConfigurableProvider[];
  STRIPE_SECRET_KEY?: string;
  STRIPE_WEBHOOK_SECRET?: string;
  /** For fakes and proxies, e.g. http://127.0.0.1:12111. */
  STRIPE_API_BASE_URL?: string;
  /** How long one Stripe request may take before it counts as a (transient) timeout. */
  STRIPE_TIMEOUT_MS: number;
  SMTP_URL?: string;
  MAIL_FROM?: string;
  ALERT_EMAIL_TO?: string;
  TWILIO_ACCOUNT_SID?: string;
  TWILIO_AUTH_TOKEN?: string;
  TWILIO_FROM?: string;
  TWILIO_API_BASE_URL?: string;
  WEBHOOK_ALLOW_LOOPBACK: boolean;
  SOLANA_RPC_URL?: string;
  SOLANA_WS_URL?: string;
  SOLANA_CLUSTER: 'mainnet-beta' | 'devnet' | 'testnet' | 'localnet';
  SOLANA_COMMITMENT: 'processed' | 'confirmed' | 'finalized';
  SOLANA_CONFIRM_TIMEOUT_MS: number;
  SOLANA_PAYER_SECRET_KEY?: string;
  SOLANA_PAYER_MIN_BALANCE_LAMPORTS: number;
  NFT_KEY_ENCRYPTION_KEY?: string;
}

const optionalText = Joi.string().trim().min(1).optional();
/** A key checked by its decoder; the message names the form, never the value. */
const decodableKey = (decode: (text: string) => unknown, form: string) =>
  Joi.string().trim().min(1).optional().custom((value: string, helpers) => (decode(value) ? value : helpers.message({ custom: `{{#label}} must be ${form}` })));
const baseUrl = Joi.string().uri({ scheme: ['http', 'https'] }).optional();

export const PROVIDER_ENVIRONMENT_SCHEMA = {
  PROVIDERS_DISABLED: Joi.array()
    .items(Joi.string().valid(...CONFIGURABLE_PROVIDERS))
    .unique()
    .default([]),
  STRIPE_SECRET_KEY: Joi.string().pattern(/^(sk|rk)_(test|live)_[A-Za-z0-9]+$/, 'a Stripe secret key (sk_… or rk_…)').optional(),
  STRIPE_WEBHOOK_SECRET: Joi.string().pattern(/^whsec_[A-Za-z0-9]+$/, 'a Stripe webhook secret (whsec_…)').optional(),
  STRIPE_API_BASE_URL: baseUrl,
  STRIPE_TIMEOUT_MS: Joi.number().integer().min(100).max(120_000).default(20_000),
  SMTP_URL: Joi.string().uri({ scheme: ['smtp', 'smtps'] }).optional(),
  MAIL_FROM: optionalText,
  ALERT_EMAIL_TO: optionalText,
  TWILIO_ACCOUNT_SID: Joi.string().pattern(/^AC[0-9a-fA-F]{32}$/, 'a Twilio account SID (AC + 32 hex)').optional(),
  TWILIO_AUTH_TOKEN: optionalText,
  TWILIO_FROM: optionalText,
  TWILIO_API_BASE_URL: baseUrl,
  // For tests only: in production a webhook may never reach the service's own host.
  WEBHOOK_ALLOW_LOOPBACK: Joi.boolean().default(false).when('NODE_ENV', {
    is: 'production',
    then: Joi.valid(false).messages({ 'any.only': '{{#label}} may not be true in production' }),
  }),
  SOLANA_RPC_URL: baseUrl,
  SOLANA_WS_URL: Joi.string().uri({ scheme: ['ws', 'wss'] }).optional(),
  SOLANA_CLUSTER: Joi.string().valid('mainnet-beta', 'devnet', 'testnet', 'localnet').default('devnet'),
  SOLANA_COMMITMENT: Joi.string().valid('processed', 'confirmed', 'finalized').default('confirmed'),
  SOLANA_CONFIRM_TIMEOUT_MS: Joi.number().integer().min(1_000).default(60_000),
  SOLANA_PAYER_SECRET_KEY: decodableKey(decodeSolanaSecretKey, 'a 64-byte Solana secret key, base58 or a JSON byte array'),
  SOLANA_PAYER_MIN_BALANCE_LAMPORTS: Joi.number().integer().min(0).default(100_000_000),
  NFT_KEY_ENCRYPTION_KEY: decodableKey(decodeEncryptionKey, 'a 32-byte key, 64 hex characters or base64'),
};

/** Comma-separated lists arrive as strings; Joi's array wants an array. */
export function splitProviderList(raw: Record<string, unknown>): Record<string, unknown> {
  const value = raw.PROVIDERS_DISABLED;
  if (typeof value !== 'string') return raw;
  return { ...raw, PROVIDERS_DISABLED: value.split(',').map((name) => name.trim()).filter(Boolean) };
}

/** In production every enabled provider must be live; outside it, missing credentials mean the sandbox. */
export function providerProblems(env: ProviderEnvironment & { NODE_ENV: string }): string[] {
  if (env.NODE_ENV !== 'production') return [];
  return CONFIGURABLE_PROVIDERS.flatMap((provider) => {
    if (env.PROVIDERS_DISABLED.includes(provider)) return [];
    const missing = PROVIDER_CREDENTIALS[provider].filter((name) => !env[name as keyof ProviderEnvironment]);
    return missing.length
      ? [`${missing.join(', ')}: required in production for ${provider} (or list ${provider} in PROVIDERS_DISABLED)`]
      : [];
  });
}

/** The providers' settings as the gateways read them. Secrets stay here; nothing logs this object. */
export class ProvidersConfig {
  readonly modes: Record<ConfigurableProvider, ProviderMode>;

  constructor(readonly env: ProviderEnvironment) {
    this.modes = Object.fromEntries(
      CONFIGURABLE_PROVIDERS.map((provider) => [provider, this.modeOf(provider)]),
    ) as Record<ConfigurableProvider, ProviderMode>;
  }

  private modeOf(provider: ConfigurableProvider): ProviderMode {
    if (this.env.PROVIDERS_DISABLED.includes(provider)) return 'disabled';
    const live = PROVIDER_CREDENTIALS[provider].every((name) => Boolean(this.env[name as keyof ProviderEnvironment]));
    return live ? 'live' : 'sandbox';
  }

  /** Never the secrets themselves: safe to log and to show in health output. */
  toJSON(): Record<ConfigurableProvider, ProviderMode> {
    return this.modes;
  }
}
