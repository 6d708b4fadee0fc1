import { Global, Module } from '@nestjs/common';
import { PayerBalanceSource } from '../alerting/payer-balance-source';
import { AppConfig } from '../config/app-config';
import { AlertsModule } from '../monitoring/alerts.module';
import { DisabledNftGateway } from './disabled-nft.gateway';
import { MintKeyVault } from './mint-key-vault';
import { NftMintHandler } from './nft-mint.handler';
import { NftTransferHandler } from './nft-transfer.handler';
import { NftGateway } from './nft.gateway';
import { GatewayPayerBalance } from './payer-balance';
import { PayerFunds } from './payer-funds';
import { SandboxNftGateway } from './sandbox-nft.gateway';
import type { SolanaNftGateway } from './solana-nft.gateway';

// Global for one export: the payer balance the monitoring check (alerting/, a layer below) reads.
@Global()
@Module({
  imports: [AlertsModule],
  providers: [
    PayerFunds,
    MintKeyVault,
    {
      provide: NftGateway,
      inject: [AppConfig, PayerFunds],
      // config.providers.modes.solana: live with SOLANA_RPC_URL, the payer key and the encryption key.
      useFactory: (config: AppConfig, funds: PayerFunds): NftGateway => {
        switch (config.providers.modes.solana) {
          case 'live': {
            // Metaplex's SDK (some 13 MB of heap) is loaded only where it is used.
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const live = require('./solana-nft.gateway') as { SolanaNftGateway: typeof SolanaNftGateway };
            return new live.SolanaNftGateway(config, funds);
          }
          case 'disabled':
            return new DisabledNftGateway(config);
          case 'sandbox':
            return new SandboxNftGateway(config);
        }
      },
    },
    {
      provide: PayerBalanceSource,
      inject: [NftGateway],
      // Only a live payer has a balance worth watching; null: monitoring does not check it.
      useFactory: (gateway: NftGateway): PayerBalanceSource | null =>
        gateway.getConfig().mode === 'live' ? new GatewayPayerBalance(gateway) : null,
    },
    NftMintHandler,
    NftTransferHandler,
  ],
  exports: [PayerBalanceSource],
})
export class NftModule {}
