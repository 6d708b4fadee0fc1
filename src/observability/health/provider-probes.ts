import { Injectable } from '@nestjs/common';
import { connect } from 'node:net';
import { AppConfig } from '../../config/app-config';
import type { ConfigurableProvider } from '../../config/providers.config';
import { reasonOf, withTimeout } from './with-timeout';

/**
 * What a gateway may implement to answer for itself (a cheap authenticated call); until one
 * does, a live provider is checked by reaching its configured endpoint.
 */
export interface ReachabilityProbe {
  /** Resolves when the provider answers; rejects (or never resolves) otherwise. */
  ping(signal: AbortSignal): Promise<void>;
}

export type ProviderHealth =
  | { status: 'up'; mode: 'live'; latencyMs: number }
  | { status: 'down'; mode: 'live'; reason: string }
  | { status: 'sandbox' | 'disabled'; mode: 'sandbox' | 'disabled' };

/** The providers the readiness probe reports (SMS has no cheap reachability check yet). */
export const CHECKED_PROVIDERS = ['stripe', 'solana', 'email'] as const satisfies readonly ConfigurableProvider[];
export type CheckedProvider = (typeof CHECKED_PROVIDERS)[number];

const STRIPE_API = 'https://api.stripe.com';

@Injectable()
export class ProviderProbes {
  /** Gateways that implement ReachabilityProbe can be registered here instead of the defaults. */
  private readonly probes: Record<CheckedProvider, ReachabilityProbe>;

  constructor(private readonly config: AppConfig) {
    const env = config.providers.env;
    this.probes = {
      // Any HTTP answer (Stripe answers 401 without a key) proves the API is reachable.
      stripe: httpProbe(env.STRIPE_API_BASE_URL ?? STRIPE_API),
      solana: solanaProbe(env.SOLANA_RPC_URL ?? ''),
      email: tcpProbe(env.SMTP_URL ?? ''),
    };
  }

  async check(provider: CheckedProvider): Promise<ProviderHealth> {
    const mode = this.config.providers.modes[provider];
    if (mode !== 'live') return { status: mode, mode };
    const started = Date.now();
    try {
      await withTimeout((signal) => this.probes[provider].ping(signal), this.config.observability.healthCheckTimeoutMs);
      return { status: 'up', mode, latencyMs: Date.now() - started };
    } catch (error) {
      return { status: 'down', mode, reason: reasonOf(error) };
    }
  }
}

function httpProbe(url: string): ReachabilityProbe {
  return {
    ping: async (signal) => {
      const response = await fetch(url, { signal });
      await response.body?.cancel();
    },
  };
}

/** Solana's own health call: `ok` when the node is caught up. */
function solanaProbe(url: string): ReachabilityProbe {
  return {
    ping: async (signal) => {
      const response = await fetch(url, {
        method: 'POST',
        signal,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'getHealth' }),
      });
      const answer = (await response.json().catch(() => ({}))) as { result?: unknown };
      if (answer.result !== 'ok') throw Object.assign(new Error('node not healthy'), { code: 'NODE_UNHEALTHY' });
    },
  };
}

/** The SMTP server accepts a connection (its greeting is not awaited: some hold it back). */
function tcpProbe(smtpUrl: string): ReachabilityProbe {
  return {
    ping: (signal) =>
      new Promise<void>((resolve, reject) => {
        const url = new URL(smtpUrl);
        const port = Number(url.port || (url.protocol === 'smtps:' ? 465 : 587));
        const socket = connect({ host: url.hostname, port, signal });
        socket.once('connect', () => {
          socket.destroy();
          resolve();
        });
        socket.once('error', reject);
      }),
  };
}
