import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { sandboxBase58 } from '../common/sandbox/sandbox-ids';
import { MintOutcome, MintRequest, NftGateway, TransferOutcome, TransferRequest } from './nft.gateway';

/**
 * No network: one ticket always maps to the same mint address (as a real mint keyed by the
 * ticket would), and each transfer to the same signature.
 */
@Injectable()
export class SandboxNftGateway extends NftGateway implements OnModuleInit {
  private readonly logger = new Logger('NftGateway');

  onModuleInit(): void {
    this.logger.warn('NFTs run in the sandbox: nothing reaches Solana');
  }

  async mint(request: MintRequest): Promise<MintOutcome> {
    return {
      mintAddress: sandboxBase58(32, 'mint', request.ticketId),
      signature: sandboxBase58(64, 'mint-signature', request.ticketId, request.recipientWallet),
    };
  }

  async transfer(request: TransferRequest): Promise<TransferOutcome> {
    return { signature: sandboxBase58(64, 'transfer', request.mintAddress, request.toWallet) };
  }

  explorerUrl(signature: string): string {
    return `https://explorer.solana.com/tx/${signature}?cluster=devnet`;
  }
}
