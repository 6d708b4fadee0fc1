import type { FiringCondition } from './monitoring-conditions';

/** The Solana payer wallet as monitoring sees it; no secret. */
export interface PayerBalance {
  /** The payer's public key (base58). */
  payer: string;
  lamports: number;
  /** SOLANA_PAYER_MIN_BALANCE_LAMPORTS: below it, a warning. */
  floorLamports: number;
  /** What one NFT mint costs the payer (rent-exempt accounts and signature fees): below it, critical. */
  oneMintLamports: number;
}

/**
 * Where the monitoring check reads the payer's balance. `nft/` (a layer above) provides it when
 * Solana is live; in the sandbox or disabled there is none, and the balance is not checked.
 */
export abstract class PayerBalanceSource {
  /** Reads the balance now (an RPC call); throws when the cluster cannot answer. */
  abstract read(): Promise<PayerBalance>;
}

export const PAYER_BALANCE_KEY = 'solana_payer_balance';

/** The condition a balance fires, or null when the payer holds at least the floor. */
export function payerBalanceCondition(balance: PayerBalance): FiringCondition | null {
  const { payer, lamports, floorLamports, oneMintLamports } = balance;
  if (lamports >= floorLamports) return null;
  const critical = lamports < oneMintLamports;
  return {
    key: PAYER_BALANCE_KEY, tenantId: null, severity: critical ? 'critical' : 'warning', kind: 'monitoring.solana_payer_balance',
    message: critical
      ? `The Solana payer wallet holds ${lamports} lamports: not enough for one NFT mint (${oneMintLamports})`
      : `The Solana payer wallet holds ${lamports} lamports, below the floor of ${floorLamports}`,
    details: { payer, lamports, floorLamports, oneMintLamports },
  };
}
