import { keypairIdentity, Metaplex, toBigNumber, token, toToken, toTokenAccount, TransactionBuilder } from '@metaplex-foundation/js';
import { TokenStandard } from '@metaplex-foundation/mpl-token-metadata';
import { Connection, Keypair, PublicKey, Signer, Transaction } from '@solana/web3.js';
import bs58 from 'bs58';
import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { decodeSolanaSecretKey } from '../config/solana-keys.config';
import { PayerFunds } from './payer-funds';
import { assertMintable, assertWallet, explorerUrl } from './nft-requests';
import {
  MintOutcome, MintRequest, MintSigning, NftGateway, NftGatewayConfig, OnChainNft, RecentBlockhash, TransferOutcome,
  TransferRequest,
} from './nft.gateway';
import { toSolanaJobError } from './solana-errors';

/** The live gateway: @solana/web3.js for the RPC, Metaplex for every instruction it signs. */
@Injectable()
export class SolanaNftGateway extends NftGateway implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('NftGateway');
  private readonly connection: Connection;
  private readonly metaplex: Metaplex;
  private readonly payer: Keypair;
  private readonly settings: NftGatewayConfig;
  private readonly rpcUrl: string;

  constructor(
    config: AppConfig,
    private readonly funds: PayerFunds,
  ) {
    super();
    const env = config.providers.env;
    const secret = decodeSolanaSecretKey(env.SOLANA_PAYER_SECRET_KEY ?? '');
    if (!env.SOLANA_RPC_URL || !secret) throw new Error('SolanaNftGateway needs SOLANA_RPC_URL and SOLANA_PAYER_SECRET_KEY');
    this.rpcUrl = env.SOLANA_RPC_URL;
    this.payer = Keypair.fromSecretKey(secret);
    const rpcTimeoutMs = Math.min(env.SOLANA_CONFIRM_TIMEOUT_MS, 30_000);
    this.connection = new Connection(env.SOLANA_RPC_URL, {
      commitment: env.SOLANA_COMMITMENT,
      wsEndpoint: env.SOLANA_WS_URL,
      // A 429 is the job's to retry by its strategy, not web3.js's to wait out for half a minute.
      disableRetryOnRateLimit: true,
      fetch: async (input, init) => {
        try {
          return await fetch(input, { ...init, signal: AbortSignal.timeout(rpcTimeoutMs) });
        } catch (error) {
          throw transportError(error);
        }
      },
    });
    this.metaplex = Metaplex.make(this.connection).use(keypairIdentity(this.payer));
    this.settings = {
      mode: 'live',
      cluster: env.SOLANA_CLUSTER,
      commitment: env.SOLANA_COMMITMENT,
      confirmTimeoutMs: env.SOLANA_CONFIRM_TIMEOUT_MS,
      payerAddress: this.payer.publicKey.toBase58(),
      minPayerBalanceLamports: env.SOLANA_PAYER_MIN_BALANCE_LAMPORTS,
    };
  }

  onModuleInit(): void {
    const { cluster, commitment, payerAddress } = this.settings;
    this.logger.log({ cluster, commitment, payer: payerAddress }, 'NFTs are minted on Solana');
  }

  /**
   * web3.js 1.x has no close(): a confirmation still subscribed (a send that never confirmed)
   * keeps its WebSocket open and reconnecting after shutdown. Stop that on the client it uses.
   */
  onModuleDestroy(): void {
    const socket = (this.connection as unknown as { _rpcWebSocket?: { setAutoReconnect(on: boolean): void; close(): void } })._rpcWebSocket;
    socket?.setAutoReconnect(false);
    socket?.close();
  }

  getConfig(): NftGatewayConfig {
    return { ...this.settings };
  }

  newMintSecretKey(): Uint8Array {
    return Keypair.generate().secretKey;
  }

  latestBlockhash(): Promise<RecentBlockhash> {
    return this.rpc(async () => {
      const { blockhash, lastValidBlockHeight } = await this.connection.getLatestBlockhash(this.settings.commitment);
      return { blockhash, lastValidBlockHeight };
    });
  }

  blockHeight(): Promise<number> {
    return this.rpc(() => this.connection.getBlockHeight(this.settings.commitment));
  }

  async signMint(request: MintRequest, signing: MintSigning): Promise<string> {
    const { transaction } = await this.mintTransaction(request, signing);
    return bs58.encode(transaction.signature!);
  }

  async mintNFT(request: MintRequest, signing: MintSigning): Promise<MintOutcome> {
    const { transaction, mintAddress } = await this.mintTransaction(request, signing);
    await this.funds.checkBefore('mint', this.settings.payerAddress, () => this.getWalletBalance());
    const signature = await this.sendAndConfirm(transaction, signing.blockhash);
    return { mintAddress, signature };
  }

  getNFTMetadata(mintAddress: string): Promise<OnChainNft | null> {
    return this.rpc(async () => {
      const mint = new PublicKey(mintAddress);
      const account = await this.metaplex.rpc().getAccount(mint, this.settings.commitment);
      if (!account.exists) return null;
      const nft = await this.metaplex.nfts().findByMint({ mintAddress: mint, loadJsonMetadata: false }, { commitment: this.settings.commitment });
      return {
        mintAddress,
        name: nft.name,
        symbol: nft.symbol,
        uri: nft.uri,
        sellerFeeBasisPoints: nft.sellerFeeBasisPoints,
        updateAuthority: nft.updateAuthorityAddress.toBase58(),
        creators: nft.creators.map((creator) => ({ address: creator.address.toBase58(), share: creator.share, verified: creator.verified })),
      };
    });
  }

  confirmedSignature(signatures: string[]): Promise<string | undefined> {
    if (!signatures.length) return Promise.resolve(undefined);
    return this.rpc(async () => {
      const { value } = await this.connection.getSignatureStatuses(signatures, { searchTransactionHistory: true });
      const index = value.findIndex((status) => status && !status.err);
      return index >= 0 ? signatures[index] : undefined;
    });
  }

  async signTransfer(request: TransferRequest, blockhash: RecentBlockhash): Promise<string> {
    const transaction = this.transferTransaction(request, blockhash);
    return bs58.encode(transaction.signature!);
  }

  async transferNFT(request: TransferRequest, blockhash: RecentBlockhash): Promise<TransferOutcome> {
    const transaction = this.transferTransaction(request, blockhash);
    await this.funds.checkBefore('transfer', this.settings.payerAddress, () => this.getWalletBalance());
    return { signature: await this.sendAndConfirm(transaction, blockhash) };
  }

  verifyOwnership(mintAddress: string, wallet: string): Promise<boolean> {
    return this.rpc(async () => {
      const mint = new PublicKey(mintAddress);
      const address = this.metaplex.tokens().pdas().associatedTokenAccount({ mint, owner: new PublicKey(wallet) });
      const account = await this.metaplex.rpc().getAccount(address, this.settings.commitment);
      if (!account.exists) return false;
      const held = toToken(toTokenAccount(account));
      return held.ownerAddress.toBase58() === wallet && held.mintAddress.equals(mint) && held.amount.basisPoints.gtn(0);
    });
  }

  getWalletBalance(wallet?: string): Promise<number> {
    return this.rpc(() => this.connection.getBalance(wallet ? new PublicKey(wallet) : this.payer.publicKey, this.settings.commitment));
  }

  getExplorerUrl(kind: 'tx' | 'address', value: string): string {
    return explorerUrl(this.settings.cluster, kind, value, this.rpcUrl);
  }

  /** Metaplex's Create V1 and Mint V1 for a non-fungible, signed by the payer and the mint keypair. */
  private async mintTransaction(request: MintRequest, signing: MintSigning): Promise<{ transaction: Transaction; mintAddress: string }> {
    assertMintable(request);
    const mint = Keypair.fromSecretKey(signing.mintSecretKey);
    const creators = request.creators?.map((creator) => ({ address: new PublicKey(creator.address), share: creator.share }));
    const builder = await this.metaplex.nfts().builders().create({
      name: request.name,
      symbol: request.symbol,
      uri: request.uri,
      sellerFeeBasisPoints: request.sellerFeeBasisPoints,
      creators,
      maxSupply: toBigNumber(0),
      useNewMint: mint,
      tokenOwner: new PublicKey(request.recipientWallet),
    });
    return { transaction: this.signed(builder, signing.blockhash), mintAddress: mint.publicKey.toBase58() };
  }

  /** Metaplex's Transfer V1 of one token from the payer's wallet. */
  private transferTransaction(request: TransferRequest, blockhash: RecentBlockhash): Transaction {
    const toOwner = assertWallet(request.toWallet, 'recipient');
    const builder = this.metaplex.nfts().builders().transfer({
      nftOrSft: { address: new PublicKey(request.mintAddress), tokenStandard: TokenStandard.NonFungible },
      authority: this.metaplex.identity(),
      fromOwner: this.payer.publicKey,
      toOwner,
      amount: token(1),
    });
    return this.signed(builder, blockhash);
  }

  private signed(builder: TransactionBuilder, blockhash: RecentBlockhash): Transaction {
    const transaction = builder.toTransaction(blockhash);
    // The payer (Metaplex's keypair identity) and the new mint: every signer here holds its secret key.
    const signers = new Map<string, Signer>();
    for (const signer of builder.getSigners()) {
      if (!('secretKey' in signer)) throw new Error('Every signer of an NFT transaction must be a keypair');
      signers.set(signer.publicKey.toBase58(), { publicKey: signer.publicKey, secretKey: signer.secretKey });
    }
    transaction.sign(...signers.values());
    return transaction;
  }

  private async sendAndConfirm(transaction: Transaction, blockhash: RecentBlockhash): Promise<string> {
    const signature = await this.rpc(() =>
      this.connection.sendRawTransaction(transaction.serialize(), { preflightCommitment: this.settings.commitment }),
    );
    await this.rpc(() =>
      withTimeout(
        this.connection.confirmTransaction({ signature, ...blockhash }, this.settings.commitment).then(({ value }) => {
          if (value.err) throw new Error(`Transaction failed on chain: ${JSON.stringify(value.err)}`);
        }),
        this.settings.confirmTimeoutMs,
      ),
    );
    return signature;
  }

  /** Every RPC call: failures become job errors, an empty payer also raises an alert. */
  private async rpc<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      const jobError = toSolanaJobError(error);
      if (jobError.code === 'insufficient_funds') await this.funds.reportEmpty(this.settings.payerAddress);
      throw jobError;
    }
  }
}

/**
 * fetch's own error, re-made as an Error of this module's realm: web3.js reports a failed
 * request only when `error instanceof Error`, and silently waits forever otherwise (as under
 * Jest, where fetch's errors come from another realm).
 */
function transportError(error: unknown): Error {
  const failure = error as { name?: unknown; message?: unknown; cause?: { code?: unknown } };
  const local = new Error(`RPC request failed: ${String(failure?.message ?? error)}`) as Error & { code?: string };
  if (typeof failure?.name === 'string') local.name = failure.name;
  if (typeof failure?.cause?.code === 'string') local.code = failure.cause.code;
  return local;
}

class ConfirmationTimeout extends Error {
  override readonly name = 'TimeoutError';
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ConfirmationTimeout(`Confirmation timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
