/** External providers with a shared token bucket and a circuit breaker (rows of `rate_limiters`). */
export const PROVIDERS = ['stripe', 'twilio', 'sendgrid', 'solana-rpc'] as const;
export type ProviderName = (typeof PROVIDERS)[number];
