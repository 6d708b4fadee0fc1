import { PayerBalance, PayerBalanceSource } from '../alerting/payer-balance-source';
import { NftGateway } from './nft.gateway';

/**
 * What one NFT mint costs the payer: the rent-exempt minimums of the mint (82 bytes), token
 * (165), metadata (679) and master edition (282) accounts, and two signatures (payer and mint).
 */
export const ONE_MINT_LAMPORTS = 1_461_600 + 2_039_280 + 5_616_720 + 2_853_600 + 2 * 5_000;

/** The live gateway's payer, read over RPC for the monitoring check. */
export class GatewayPayerBalance extends PayerBalanceSource {
  constructor(private readonly gateway: NftGateway) {
    super();
  }

  async read(): Promise<PayerBalance> {
    const { payerAddress, minPayerBalanceLamports } = this.gateway.getConfig();
    const lamports = await this.gateway.getWalletBalance();
    return { payer: payerAddress, lamports, floorLamports: minPayerBalanceLamports, oneMintLamports: ONE_MINT_LAMPORTS };
  }
}
