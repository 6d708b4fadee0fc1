import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { Keypair } from '@solana/web3.js';
import { createHash } from 'node:crypto';
import { AppConfig } from '../config/app-config';
import { sandboxBase58 } from '../common/sandbox/sandbox-ids';
import { assertMintable, assertWallet, explorerUrl } from './nft-requests';
import {
  MintOutcome, MintRequest, MintSigning, NftGateway, NftGatewayConfig, OnChainNft, RecentBlockhash, TransferOutcome,
  TransferRequest,
} from './nft.gateway';

/** Far past every sandbox blockhash's last valid height: a re-run never waits in the sandbox. */
const SANDBOX_BLOCK_HEIGHT = 1_000_000;

/**
 * No network: one ticket always maps to the same mint address (its mint key derives from the
 * ticket), and each transfer to the same signature. The chain holds nothing, so a re-run signs
 * again, to the same address. The payer wallet owns every NFT it is asked to transfer.
 */
@Injectable()
export class SandboxNftGateway extends NftGateway implements OnModuleInit {
  private readonly logger = new Logger('NftGateway');
  private readonly payerAddress = sandboxBase58(32, 'sandbox-payer');

  constructor(private readonly config: AppConfig) {
    super();
  }

  onModuleInit(): void {
    this.logger.warn('NFTs run in the sandbox: nothing reaches Solana');
  }

  getConfig(): NftGatewayConfig {
    const env = this.config.providers.env;
    return {
      mode: this.config.providers.modes.solana,
      cluster: env.SOLANA_CLUSTER,
      commitment: env.SOLANA_COMMITMENT,
      confirmTimeoutMs: env.SOLANA_CONFIRM_TIMEOUT_MS,
      payerAddress: this.payerAddress,
      minPayerBalanceLamports: env.SOLANA_PAYER_MIN_BALANCE_LAMPORTS,
    };
  }

  newMintSecretKey(seed: string): Uint8Array {
    return Keypair.fromSeed(createHash('sha256').update(`sandbox-mint\u0000${seed}`).digest()).secretKey;
  }

  async latestBlockhash(): Promise<RecentBlockhash> {
    return { blockhash: sandboxBase58(32, 'sandbox-blockhash'), lastValidBlockHeight: 150 };
  }

  async blockHeight(): Promise<number> {
    return SANDBOX_BLOCK_HEIGHT;
  }

  async signMint(request: MintRequest, signing: MintSigning): Promise<string> {
    assertMintable(request);
    return sandboxBase58(64, 'mint-signature', mintAddressOf(signing), request.recipientWallet);
  }

  async mintNFT(request: MintRequest, signing: MintSigning): Promise<MintOutcome> {
    return { mintAddress: mintAddressOf(signing), signature: await this.signMint(request, signing) };
  }

  async getNFTMetadata(): Promise<OnChainNft | null> {
    return null;
  }

  async confirmedSignature(): Promise<string | undefined> {
    return undefined;
  }

  async signTransfer(request: TransferRequest): Promise<string> {
    assertWallet(request.toWallet, 'recipient');
    return sandboxBase58(64, 'transfer', request.mintAddress, request.toWallet);
  }

  async transferNFT(request: TransferRequest): Promise<TransferOutcome> {
    return { signature: await this.signTransfer(request) };
  }

  async verifyOwnership(_mintAddress: string, wallet: string): Promise<boolean> {
    return wallet === this.payerAddress;
  }

  async getWalletBalance(): Promise<number> {
    return Number.MAX_SAFE_INTEGER;
  }

  getExplorerUrl(kind: 'tx' | 'address', value: string): string {
    return explorerUrl(this.config.providers.env.SOLANA_CLUSTER, kind, value);
  }
}

function mintAddressOf(signing: MintSigning): string {
  return Keypair.fromSecretKey(signing.mintSecretKey).publicKey.toBase58();
}
