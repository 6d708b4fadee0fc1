import { Injectable } from '@nestjs/common';
import { HandlesJob, JobContext, JobHandler } from '../job-definitions/job-handler';
import type { NftTransferPayload } from '../job-definitions/payloads/money.payloads';
import { NftGateway, TransferOutcome } from './nft.gateway';

type TransferResult = TransferOutcome & { ticketId: string; mintAddress: string; toWallet: string; explorerUrl: string };

@Injectable()
@HandlesJob('nft-transfer')
export class NftTransferHandler implements JobHandler<'nft-transfer', TransferResult> {
  constructor(private readonly nft: NftGateway) {}

  async execute(payload: NftTransferPayload, context: JobContext): Promise<TransferResult> {
    const outcome = await context.step('nft_transferred', () =>
      this.nft.transfer({ mintAddress: payload.mintAddress, toWallet: payload.toWallet, fromWallet: payload.fromWallet }),
    );
    return {
      ticketId: payload.ticketId,
      mintAddress: payload.mintAddress,
      toWallet: payload.toWallet,
      ...outcome,
      explorerUrl: this.nft.explorerUrl(outcome.signature),
    };
  }
}
