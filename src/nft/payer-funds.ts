import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { AlertsService } from '../monitoring/alerts.service';

/** At most one alert of a kind per process in this window: a busy queue must not flood the history. */
const ALERT_EVERY_MS = 10 * 60 * 1000;

/**
 * The payer wallet's lamports as operators need to know them: below the floor
 * (SOLANA_PAYER_MIN_BALANCE_LAMPORTS) a warning, too few for a transaction a critical alert.
 */
@Injectable()
export class PayerFunds {
  private readonly logger = new Logger('NftGateway');
  private readonly lastAlertAt = new Map<string, number>();

  constructor(
    private readonly config: AppConfig,
    private readonly alerts: AlertsService,
  ) {}

  /** Reads the balance before a send; a low one is reported, and the send still goes ahead. */
  async checkBefore(action: 'mint' | 'transfer', payerAddress: string, balance: () => Promise<number>): Promise<void> {
    const floor = this.config.providers.env.SOLANA_PAYER_MIN_BALANCE_LAMPORTS;
    const lamports = await balance();
    if (lamports >= floor) return;
    await this.raiseOnce('nft.payer_balance_low', 'warning', `The Solana payer wallet holds ${lamports} lamports, below the floor of ${floor}`, {
      payer: payerAddress,
      lamports,
      floorLamports: floor,
      action,
    });
  }

  async reportEmpty(payerAddress: string): Promise<void> {
    await this.raiseOnce('nft.payer_insufficient_funds', 'critical', 'The Solana payer wallet cannot pay for NFT transactions', { payer: payerAddress });
  }

  private async raiseOnce(kind: string, severity: 'warning' | 'critical', message: string, details: Record<string, unknown>): Promise<void> {
    const last = this.lastAlertAt.get(kind);
    if (last !== undefined && Date.now() - last < ALERT_EVERY_MS) return;
    this.lastAlertAt.set(kind, Date.now());
    try {
      await this.alerts.raise({ tenantId: null, severity, kind, message, details });
    } catch (error) {
      // An alert that cannot be written must not fail the mint it is about.
      this.logger.error({ err: error, kind }, 'Could not record the payer alert');
    }
  }
}
