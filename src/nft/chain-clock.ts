import { TransientJobError } from '../job-definitions/job-errors';
import type { NftGateway } from './nft.gateway';

/** About one slot: how often a re-run reads the block height while it waits out a blockhash. */
const POLL_MS = 400;
/** A blockhash lives about 150 blocks (60 to 90 s); longer than this, the RPC is behind: retry later. */
const MAX_WAIT_MS = 180_000;

/**
 * Resolves once the cluster's block height has passed `lastValidBlockHeight`: from then on, no
 * transaction signed with that blockhash can land, and a new signing cannot race it.
 */
export async function untilBlockhashExpired(nft: NftGateway, lastValidBlockHeight: number): Promise<void> {
  const deadline = Date.now() + MAX_WAIT_MS;
  for (;;) {
    if ((await nft.blockHeight()) > lastValidBlockHeight) return;
    if (Date.now() > deadline) {
      throw new TransientJobError('blockhash_still_valid', `The block height has not passed ${lastValidBlockHeight} yet`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** What a signing journals before its transaction is sent. */
export interface JournalledSigning {
  blockhash: string;
  lastValidBlockHeight: number;
  signature: string;
}
