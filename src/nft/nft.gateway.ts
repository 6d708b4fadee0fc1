import type { ProviderMode } from '../config/providers.config';

export type SolanaCluster = 'mainnet-beta' | 'devnet' | 'testnet' | 'localnet';

export interface NftCreator {
  address: string;
  /** Percent of the royalties; the shares of a mint add up to 100. */
  share: number;
}

export interface MintRequest {
  name: string;
  symbol: string;
  uri: string;
  sellerFeeBasisPoints: number;
  /** Absent: the payer (the update authority) takes 100 %. */
  creators?: NftCreator[];
  recipientWallet: string;
}

export interface RecentBlockhash {
  blockhash: string;
  /** The transaction can land only while the cluster's block height is at most this. */
  lastValidBlockHeight: number;
}

/** What signs one mint transaction: the ticket's mint keypair (always the same) and a blockhash. */
export interface MintSigning {
  mintSecretKey: Uint8Array;
  blockhash: RecentBlockhash;
}

export interface MintOutcome {
  mintAddress: string;
  signature: string;
}

export interface TransferRequest {
  mintAddress: string;
  toWallet: string;
}

export interface TransferOutcome {
  signature: string;
}

/** An NFT as the chain holds it. */
export interface OnChainNft {
  mintAddress: string;
  name: string;
  symbol: string;
  uri: string;
  sellerFeeBasisPoints: number;
  updateAuthority: string;
  creators: { address: string; share: number; verified: boolean }[];
}

/** What the gateway runs on; no secret. */
export interface NftGatewayConfig {
  mode: ProviderMode;
  cluster: SolanaCluster;
  commitment: 'processed' | 'confirmed' | 'finalized';
  confirmTimeoutMs: number;
  /** The wallet that pays, signs as update authority and holds what the service transfers. */
  payerAddress: string;
  minPayerBalanceLamports: number;
}

/**
 * Solana and Metaplex, as the handlers see them. Signing is deterministic (ed25519): the same
 * request, mint key and blockhash give the same signature, so a signature can be journalled
 * before its transaction is sent.
 */
export abstract class NftGateway {
  abstract getConfig(): NftGatewayConfig;
  /** A new mint keypair's 64-byte secret key; `seed` makes it repeatable in the sandbox only. */
  abstract newMintSecretKey(seed: string): Uint8Array;
  abstract latestBlockhash(): Promise<RecentBlockhash>;
  abstract blockHeight(): Promise<number>;
  /** The signature the mint transaction will carry, without sending it. */
  abstract signMint(request: MintRequest, signing: MintSigning): Promise<string>;
  /** Sends the mint transaction and waits for its confirmation. */
  abstract mintNFT(request: MintRequest, signing: MintSigning): Promise<MintOutcome>;
  /** The NFT at `mintAddress`, or null while no mint account exists there. */
  abstract getNFTMetadata(mintAddress: string): Promise<OnChainNft | null>;
  /** The first of `signatures` the cluster has confirmed. */
  abstract confirmedSignature(signatures: string[]): Promise<string | undefined>;
  /** Signs a transfer of one token from the payer's wallet with `blockhash` (nothing sent). */
  abstract signTransfer(request: TransferRequest, blockhash: RecentBlockhash): Promise<string>;
  abstract transferNFT(request: TransferRequest, blockhash: RecentBlockhash): Promise<TransferOutcome>;
  /** Whether `wallet` holds the token of `mintAddress`. */
  abstract verifyOwnership(mintAddress: string, wallet: string): Promise<boolean>;
  /** Lamports held by `wallet`, the payer's when absent. */
  abstract getWalletBalance(wallet?: string): Promise<number>;
  abstract getExplorerUrl(kind: 'tx' | 'address', value: string): string;
}
