import { Injectable } from '@nestjs/common';
import { Keypair } from '@solana/web3.js';
import { PermanentJobError } from '../job-definitions/job-errors';
import { HandlesJob, JobContext, JobHandler } from '../job-definitions/job-handler';
import type { NftMintPayload } from '../job-definitions/payloads/money.payloads';
import { JournalledSigning, untilBlockhashExpired } from './chain-clock';
import { MintKeyVault } from './mint-key-vault';
import { assertMintable } from './nft-requests';
import { MintOutcome, MintRequest, MintSigning, NftGateway } from './nft.gateway';

/** The ticket's mint keypair, as journalled before anything is sent. */
interface JournalledMintKey {
  mintAddress: string;
  /** AES-256-GCM under NFT_KEY_ENCRYPTION_KEY; never leaves the journal in clear. */
  sealedSecretKey: string;
}

type MintResult = MintOutcome & { ticketId: string; explorerUrl: string };

/** Every signing is one blockhash's chance to land; this many expiring unlanded means the cluster is not taking them. */
const MAX_SIGNINGS = 20;

/**
 * One NFT per ticket, whatever crashes. The mint keypair is made once and journalled before
 * anything is sent, so every transaction of this job creates the same mint account: the chain
 * itself refuses a second. Each signing (blockhash, its last valid height, the signature) is
 * journalled before its send. A re-run first asks the chain; when the mint is not there, it waits
 * until the last journalled blockhash can no longer land, and only then signs again.
 */
@Injectable()
@HandlesJob('nft-mint')
export class NftMintHandler implements JobHandler<'nft-mint', MintResult> {
  constructor(
    private readonly nft: NftGateway,
    private readonly vault: MintKeyVault,
  ) {}

  async execute(payload: NftMintPayload, context: JobContext): Promise<MintResult> {
    const request: MintRequest = {
      name: payload.metadata.name,
      symbol: payload.metadata.symbol,
      uri: payload.metadata.uri,
      sellerFeeBasisPoints: payload.sellerFeeBasisPoints ?? 0,
      creators: payload.creators,
      recipientWallet: payload.recipientWallet,
    };
    assertMintable(request);
    const key = await context.step<JournalledMintKey>('mint_key', async () => {
      const secretKey = this.nft.newMintSecretKey(`${context.tenantId}:${payload.ticketId}`);
      const mintAddress = Keypair.fromSecretKey(secretKey).publicKey.toBase58();
      return { mintAddress, sealedSecretKey: this.vault.seal(secretKey, bindingOf(context.tenantId, mintAddress)) };
    });
    const outcome = await this.mintOnce(request, key, this.openKey(key, context.tenantId), context);
    const explorerUrl = this.nft.getExplorerUrl('tx', outcome.signature);
    if (payload.recipientEmail) {
      await context.enqueue({
        name: 'nft-minted-email',
        type: 'email-send',
        data: {
          to: payload.recipientEmail,
          template: 'nft-minted',
          data: { ticketId: payload.ticketId, name: payload.metadata.name, mintAddress: outcome.mintAddress, explorerUrl },
        },
      });
    }
    await context.enqueue({
      name: 'webhook:nft.minted',
      type: 'webhook-event',
      data: {
        event: 'nft.minted',
        body: { jobId: context.jobId, ticketId: payload.ticketId, eventId: payload.eventId ?? null, mintAddress: outcome.mintAddress, signature: outcome.signature },
      },
    });
    return { ticketId: payload.ticketId, ...outcome, explorerUrl };
  }

  private async mintOnce(request: MintRequest, key: JournalledMintKey, mintSecretKey: Uint8Array, context: JobContext): Promise<MintOutcome> {
    const signatures: string[] = [];
    for (let n = 1; n <= MAX_SIGNINGS; n += 1) {
      let signedNow = false;
      const signing = await context.step<JournalledSigning>(`mint_signing_${n}`, async () => {
        signedNow = true;
        const blockhash = await this.nft.latestBlockhash();
        return { ...blockhash, signature: await this.nft.signMint(request, { mintSecretKey, blockhash }) };
      });
      signatures.push(signing.signature);
      const signed: MintSigning = { mintSecretKey, blockhash: { blockhash: signing.blockhash, lastValidBlockHeight: signing.lastValidBlockHeight } };
      if (signedNow) return this.send(request, signed, key.mintAddress, signatures);
      // An earlier run sent this one, or meant to: it landed, may still land, or never will.
      const landed = await this.fromChain(key.mintAddress, signatures);
      if (landed) return landed;
      await untilBlockhashExpired(this.nft, signing.lastValidBlockHeight);
      const landedLate = await this.fromChain(key.mintAddress, signatures);
      if (landedLate) return landedLate;
    }
    throw new PermanentJobError('mint_not_landing', `${MAX_SIGNINGS} mint transactions expired without landing`);
  }

  private async send(request: MintRequest, signing: MintSigning, mintAddress: string, signatures: string[]): Promise<MintOutcome> {
    try {
      return await this.nft.mintNFT(request, signing);
    } catch (error) {
      // Refused because the mint account exists: an earlier signing of this job landed after all.
      const found = error instanceof PermanentJobError && error.code === 'transaction_rejected' ? await this.fromChain(mintAddress, signatures) : undefined;
      if (found) return found;
      throw error;
    }
  }

  /** The mint as the chain has it, with the signature that created it when the cluster still knows it. */
  private async fromChain(mintAddress: string, signatures: string[]): Promise<MintOutcome | undefined> {
    const nft = await this.nft.getNFTMetadata(mintAddress);
    if (!nft) return undefined;
    const signature = (await this.nft.confirmedSignature(signatures)) ?? signatures[signatures.length - 1];
    return { mintAddress, signature };
  }

  private openKey(key: JournalledMintKey, tenantId: string): Uint8Array {
    try {
      return this.vault.open(key.sealedSecretKey, bindingOf(tenantId, key.mintAddress));
    } catch {
      throw new PermanentJobError('mint_key_unreadable', 'The journalled mint key cannot be opened with NFT_KEY_ENCRYPTION_KEY');
    }
  }
}

function bindingOf(tenantId: string, mintAddress: string): string {
  return `nft-mint:${tenantId}:${mintAddress}`;
}
