import { Injectable } from '@nestjs/common';
import { PermanentJobError } from '../job-definitions/job-errors';
import { HandlesJob, JobContext, JobHandler } from '../job-definitions/job-handler';
import type { NftTransferPayload } from '../job-definitions/payloads/money.payloads';
import { JournalledSigning, untilBlockhashExpired } from './chain-clock';
import { assertWallet } from './nft-requests';
import { NftGateway, TransferRequest } from './nft.gateway';

interface TransferResult {
  ticketId: string;
  mintAddress: string;
  toWallet: string;
  /** Null when the recipient already held the token before this job sent anything. */
  signature: string | null;
  explorerUrl: string | null;
}

/** A signing step's outcome: the signed transfer, or the finding that there was nothing to send. */
type TransferSigning = JournalledSigning | { alreadyHeld: true };

const MAX_SIGNINGS = 20;

/**
 * Moves the ticket's NFT from the payer wallet (the only one the service signs for). Ownership
 * is verified before each signing; a re-run first checks whether the recipient already holds
 * the token, and signs again only once the earlier blockhash can no longer land.
 */
@Injectable()
@HandlesJob('nft-transfer')
export class NftTransferHandler implements JobHandler<'nft-transfer', TransferResult> {
  constructor(private readonly nft: NftGateway) {}

  async execute(payload: NftTransferPayload, context: JobContext): Promise<TransferResult> {
    const { payerAddress } = this.nft.getConfig();
    if (payload.fromWallet && payload.fromWallet !== payerAddress) {
      throw new PermanentJobError('unsupported_owner', 'The service signs transfers only from its own payer wallet');
    }
    assertWallet(payload.toWallet, 'recipient');
    const request: TransferRequest = { mintAddress: payload.mintAddress, toWallet: payload.toWallet };
    const signature = await this.transferOnce(request, payerAddress, context);
    return {
      ticketId: payload.ticketId,
      mintAddress: payload.mintAddress,
      toWallet: payload.toWallet,
      signature,
      explorerUrl: signature ? this.nft.getExplorerUrl('tx', signature) : null,
    };
  }

  private async transferOnce(request: TransferRequest, fromWallet: string, context: JobContext): Promise<string | null> {
    const signatures: string[] = [];
    const delivered = async () => (await this.nft.verifyOwnership(request.mintAddress, request.toWallet))
      ? ((await this.nft.confirmedSignature(signatures)) ?? signatures[signatures.length - 1] ?? null)
      : undefined;
    for (let n = 1; n <= MAX_SIGNINGS; n += 1) {
      let signedNow = false;
      const signing = await context.step<TransferSigning>(`transfer_signing_${n}`, async () => {
        signedNow = true;
        if (await this.nft.verifyOwnership(request.mintAddress, request.toWallet)) return { alreadyHeld: true };
        if (!(await this.nft.verifyOwnership(request.mintAddress, fromWallet))) {
          throw new PermanentJobError('not_owner', 'The payer wallet does not hold this NFT');
        }
        const blockhash = await this.nft.latestBlockhash();
        return { ...blockhash, signature: await this.nft.signTransfer(request, blockhash) };
      });
      if ('alreadyHeld' in signing) return (await this.nft.confirmedSignature(signatures)) ?? signatures[signatures.length - 1] ?? null;
      signatures.push(signing.signature);
      const blockhash = { blockhash: signing.blockhash, lastValidBlockHeight: signing.lastValidBlockHeight };
      if (signedNow) return (await this.nft.transferNFT(request, blockhash)).signature;
      const landed = await delivered();
      if (landed !== undefined) return landed;
      await untilBlockhashExpired(this.nft, signing.lastValidBlockHeight);
      const landedLate = await delivered();
      if (landedLate !== undefined) return landedLate;
    }
    throw new PermanentJobError('transfer_not_landing', `${MAX_SIGNINGS} transfer transactions expired without landing`);
  }
}
