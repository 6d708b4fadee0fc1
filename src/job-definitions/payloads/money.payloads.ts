import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize, ArrayMinSize, IsArray, IsEmail, IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, MaxLength, Min,
  ValidateNested,
} from 'class-validator';
import { IsCurrencyCode, IsSolanaAddress, IsStringMap } from '../../common/validation/validators';

export const MAX_AMOUNT_MINOR_UNITS = 100_000_000;
const IDENTIFIER = /^[A-Za-z0-9_.:-]+$/;

export class PaymentProcessPayload {
  @ApiProperty({ example: 'ord_1', maxLength: 100 })
  @IsString() @Length(1, 100) @Matches(IDENTIFIER)
  orderId: string;

  @ApiProperty({ description: 'Integer in the currency minor unit (cents)', minimum: 1, maximum: MAX_AMOUNT_MINOR_UNITS, example: 2500 })
  @IsInt() @Min(1) @Max(MAX_AMOUNT_MINOR_UNITS)
  amount: number;

  @ApiProperty({ description: 'ISO 4217 code, case-insensitive', example: 'usd' })
  @IsCurrencyCode()
  @Transform(({ value }) => (typeof value === 'string' ? value.toLowerCase() : value))
  currency: string;

  @ApiProperty({ example: 'pm_card_visa', maxLength: 255 })
  @IsString() @Length(1, 255) @Matches(IDENTIFIER)
  paymentMethodId: string;

  @ApiPropertyOptional({ example: 'cus_123', maxLength: 255 })
  @IsOptional() @IsString() @Length(1, 255) @Matches(IDENTIFIER)
  customerId?: string;

  @ApiPropertyOptional({ example: 'fan@example.com' })
  @IsOptional() @IsEmail() @MaxLength(254)
  customerEmail?: string;

  @ApiPropertyOptional({ maxLength: 1000 })
  @IsOptional() @IsString() @MaxLength(1000)
  description?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' } })
  @IsOptional() @IsStringMap()
  metadata?: Record<string, string>;
}

export const REFUND_REASONS = ['duplicate', 'fraudulent', 'requested_by_customer'] as const;

export class RefundProcessPayload {
  @ApiProperty({ example: 'pi_123', maxLength: 255 })
  @IsString() @Length(1, 255) @Matches(IDENTIFIER)
  paymentIntentId: string;

  @ApiProperty({ example: 'ord_1', maxLength: 100 })
  @IsString() @Length(1, 100) @Matches(IDENTIFIER)
  orderId: string;

  @ApiPropertyOptional({ description: 'Partial refund in minor units; the whole payment when absent', minimum: 1, maximum: MAX_AMOUNT_MINOR_UNITS })
  @IsOptional() @IsInt() @Min(1) @Max(MAX_AMOUNT_MINOR_UNITS)
  amount?: number;

  @ApiPropertyOptional({ enum: REFUND_REASONS })
  @IsOptional() @IsIn(REFUND_REASONS)
  reason?: (typeof REFUND_REASONS)[number];

  @ApiPropertyOptional({ example: 'fan@example.com' })
  @IsOptional() @IsEmail() @MaxLength(254)
  customerEmail?: string;
}

export class NftMetadata {
  @ApiProperty({ maxLength: 32, example: 'Main Stage GA #42' })
  @IsString() @Length(1, 32)
  name: string;

  @ApiProperty({ maxLength: 10, example: 'TIX' })
  @IsString() @Length(1, 10)
  symbol: string;

  @ApiProperty({ maxLength: 200, example: 'https://example.com/tickets/42.json' })
  @IsString() @Length(1, 200)
  uri: string;
}

export class NftCreator {
  @ApiProperty({ description: 'Base58 Solana public key' })
  @IsSolanaAddress()
  address: string;

  @ApiProperty({ description: 'Percent of the royalties; the shares add up to 100', minimum: 0, maximum: 100 })
  @IsInt() @Min(0) @Max(100)
  share: number;
}

export class NftMintPayload {
  @ApiProperty({ example: 'tkt_42', maxLength: 100 })
  @IsString() @Length(1, 100) @Matches(IDENTIFIER)
  ticketId: string;

  @ApiProperty({ description: 'Base58 Solana public key' })
  @IsSolanaAddress()
  recipientWallet: string;

  @ApiProperty({ type: NftMetadata })
  @ValidateNested() @Type(() => NftMetadata)
  metadata: NftMetadata;

  @ApiPropertyOptional({ maxLength: 100 })
  @IsOptional() @IsString() @Length(1, 100) @Matches(IDENTIFIER)
  eventId?: string;

  @ApiPropertyOptional({ minimum: 0, maximum: 10000 })
  @IsOptional() @IsInt() @Min(0) @Max(10000)
  sellerFeeBasisPoints?: number;

  @ApiPropertyOptional({ type: [NftCreator], maxItems: 5, description: 'Royalty creators; the payer wallet takes 100 % when absent' })
  @IsOptional() @IsArray() @ArrayMinSize(1) @ArrayMaxSize(5) @ValidateNested({ each: true }) @Type(() => NftCreator)
  creators?: NftCreator[];

  @ApiPropertyOptional({ example: 'fan@example.com', description: 'Receives the nft-minted e-mail once the NFT is minted' })
  @IsOptional() @IsEmail() @MaxLength(254)
  recipientEmail?: string;
}

export class NftTransferPayload {
  @ApiProperty({ example: 'tkt_42', maxLength: 100 })
  @IsString() @Length(1, 100) @Matches(IDENTIFIER)
  ticketId: string;

  @ApiProperty({ description: 'Base58 Solana public key of the NFT mint' })
  @IsSolanaAddress()
  mintAddress: string;

  @ApiProperty({ description: 'Base58 Solana public key' })
  @IsSolanaAddress()
  toWallet: string;

  @ApiPropertyOptional({ description: 'Base58 Solana public key' })
  @IsOptional() @IsSolanaAddress()
  fromWallet?: string;
}

/** Internal: reconcile one stored Stripe event (a `stripe_events` row) with the tenant's job records. */
export class StripeEventPayload {
  @ApiProperty({ example: 'evt_1PqR2sT3uV4wX5yZ', maxLength: 255 })
  @IsString() @Length(1, 255) @Matches(/^evt_[A-Za-z0-9_]+$/)
  eventId: string;
}
