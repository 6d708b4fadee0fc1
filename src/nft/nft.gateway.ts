export interface MintRequest {
  ticketId: string;
  recipientWallet: string;
  name: string;
  symbol: string;
  uri: string;
  sellerFeeBasisPoints: number;
}

export interface MintOutcome {
  mintAddress: string;
  signature: string;
}

export interface TransferRequest {
  mintAddress: string;
  toWallet: string;
  fromWallet?: string;
}

export interface TransferOutcome {
  signature: string;
}

/** Solana and Metaplex, as the handlers see them. */
export abstract class NftGateway {
  abstract mint(request: MintRequest): Promise<MintOutcome>;
  abstract transfer(request: TransferRequest): Promise<TransferOutcome>;
  abstract explorerUrl(signature: string): string;
}
