import { Injectable } from '@nestjs/common';
import { HandlesJob, JobContext, JobHandler } from '../job-definitions/job-handler';
import type { NftMintPayload } from '../job-definitions/payloads/money.payloads';
import { MintOutcome, NftGateway } from './nft.gateway';

@Injectable()
@HandlesJob('nft-mint')
export class NftMintHandler implements JobHandler<'nft-mint', MintOutcome & { ticketId: string; explorerUrl: string }> {
  constructor(private readonly nft: NftGateway) {}

  async execute(payload: NftMintPayload, context: JobContext) {
    const outcome = await context.step('nft_minted', () =>
      this.nft.mint({
        ticketId: payload.ticketId,
        recipientWallet: payload.recipientWallet,
        name: payload.metadata.name,
        symbol: payload.metadata.symbol,
        uri: payload.metadata.uri,
        sellerFeeBasisPoints: payload.sellerFeeBasisPoints ?? 0,
      }),
    );
    return { ticketId: payload.ticketId, ...outcome, explorerUrl: this.nft.explorerUrl(outcome.signature) };
  }
}
