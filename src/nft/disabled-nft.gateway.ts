import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { PermanentJobError } from '../job-definitions/job-errors';
import { AppConfig } from '../config/app-config';
import { explorerUrl } from './nft-requests';
import { NftGateway, NftGatewayConfig } from './nft.gateway';

const disabled = (): never => {
  throw new PermanentJobError('provider_disabled', 'Solana is disabled in this deployment (PROVIDERS_DISABLED)');
};

/** PROVIDERS_DISABLED lists solana: every NFT job fails for good, before anything is signed. */
@Injectable()
export class DisabledNftGateway extends NftGateway implements OnModuleInit {
  private readonly logger = new Logger('NftGateway');

  constructor(private readonly config: AppConfig) {
    super();
  }

  onModuleInit(): void {
    this.logger.warn('NFTs are disabled: nft-mint and nft-transfer jobs fail as provider_disabled');
  }

  getConfig(): NftGatewayConfig {
    const env = this.config.providers.env;
    return {
      mode: 'disabled',
      cluster: env.SOLANA_CLUSTER,
      commitment: env.SOLANA_COMMITMENT,
      confirmTimeoutMs: env.SOLANA_CONFIRM_TIMEOUT_MS,
      payerAddress: '',
      minPayerBalanceLamports: env.SOLANA_PAYER_MIN_BALANCE_LAMPORTS,
    };
  }

  newMintSecretKey = disabled;
  latestBlockhash = async () => disabled();
  blockHeight = async () => disabled();
  signMint = async () => disabled();
  mintNFT = async () => disabled();
  getNFTMetadata = async () => disabled();
  confirmedSignature = async () => disabled();
  signTransfer = async () => disabled();
  transferNFT = async () => disabled();
  verifyOwnership = async () => disabled();
  getWalletBalance = async () => disabled();

  getExplorerUrl(kind: 'tx' | 'address', value: string): string {
    return explorerUrl(this.config.providers.env.SOLANA_CLUSTER, kind, value);
  }
}
