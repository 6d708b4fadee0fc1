import { Module } from '@nestjs/common';
import { NftMintHandler } from './nft-mint.handler';
import { NftTransferHandler } from './nft-transfer.handler';
import { NftGateway } from './nft.gateway';
import { SandboxNftGateway } from './sandbox-nft.gateway';

@Module({
  providers: [{ provide: NftGateway, useClass: SandboxNftGateway }, NftMintHandler, NftTransferHandler],
})
export class NftModule {}
