import {
  CreateStruct, MasterEditionV2, Metadata, MintStruct, PROGRAM_ID as TOKEN_METADATA_PROGRAM_ID, TransferStruct,
  createInstructionDiscriminator, mintInstructionDiscriminator, transferInstructionDiscriminator, Key,
} from '@metaplex-foundation/mpl-token-metadata';
import { AccountLayout, ACCOUNT_SIZE, getAssociatedTokenAddressSync, MintLayout, MINT_SIZE, TOKEN_PROGRAM_ID } from '@solana/spl-token';
import { PublicKey, Transaction, TransactionInstruction } from '@solana/web3.js';
import bs58 from 'bs58';
import { createHash } from 'node:crypto';

export const LAMPORTS_PER_SIGNATURE = 5_000;
/** Rent-exempt minimums, close to mainnet's, so the payer's balance moves as it would. */
const RENT = { mint: 1_461_600, token: 2_039_280, metadata: 5_616_720, edition: 2_853_600 };
const METADATA_SIZE = 679;
const EDITION_SIZE = 282;

export interface FakeAccount {
  lamports: number;
  owner: PublicKey;
  data: Buffer;
}

/** One mint account the fake chain created, with what its metadata says. */
export interface CreatedMint {
  mint: string;
  name: string;
  uri: string;
  recipient: string;
  signature: string;
  /** The block height at which the transaction that created it was received. */
  receivedAtHeight: number;
}

/** A transaction the chain refused before applying anything (what the RPC's preflight answers). */
export class RejectedTransaction extends Error {
  constructor(
    message: string,
    readonly logs: string[],
    readonly err: unknown,
  ) {
    super(message);
  }
}

/**
 * An in-memory Solana ledger that understands just the Token Metadata instructions Metaplex
 * builds for an NFT (Create V1, Mint V1, Transfer V1). A transaction applies whole or not at all.
 */
export class FakeLedger {
  readonly accounts = new Map<string, FakeAccount>();
  readonly createdMints: CreatedMint[] = [];
  /** signature → slot it landed in. */
  readonly landed = new Map<string, number>();
  blockHeight = 1_000;
  /** How many blocks a blockhash stays valid after the block it names (150 on mainnet). */
  validityBlocks = 150;
  private readonly blockhashes = new Map<string, number>();

  get slot(): number {
    return this.blockHeight + 500;
  }

  latestBlockhash(): { blockhash: string; lastValidBlockHeight: number } {
    const blockhash = bs58.encode(createHash('sha256').update(`block:${this.blockHeight}`).digest());
    const lastValidBlockHeight = this.blockHeight + this.validityBlocks;
    this.blockhashes.set(blockhash, lastValidBlockHeight);
    return { blockhash, lastValidBlockHeight };
  }

  advance(blocks: number): void {
    this.blockHeight += blocks;
  }

  /** Moves past the last valid height of every blockhash handed out so far. */
  expireBlockhashes(): void {
    const last = Math.max(this.blockHeight, ...this.blockhashes.values());
    this.blockHeight = last + 1;
  }

  setBalance(address: string, lamports: number): void {
    const account = this.accounts.get(address);
    if (account) account.lamports = lamports;
    else this.accounts.set(address, { lamports, owner: new PublicKey(new Uint8Array(32)), data: Buffer.alloc(0) });
  }

  balanceOf(address: string): number {
    return this.accounts.get(address)?.lamports ?? 0;
  }

  /** The mint accounts created for a ticket, found by its metadata URI. */
  mintsFor(uri: string): CreatedMint[] {
    return this.createdMints.filter((mint) => mint.uri === uri);
  }

  /** Checks blockhash and signatures, then applies every instruction or none; answers the signature. */
  apply(transaction: Transaction): string {
    const signature = bs58.encode(transaction.signature ?? Buffer.alloc(64));
    const lastValid = this.blockhashes.get(transaction.recentBlockhash ?? '');
    if (lastValid === undefined || this.blockHeight > lastValid) {
      throw new RejectedTransaction('Transaction simulation failed: Blockhash not found', [], 'BlockhashNotFound');
    }
    if (!transaction.verifySignatures(true)) {
      throw new RejectedTransaction('Transaction signature verification failure', [], 'SignatureFailure');
    }
    if (this.landed.has(signature)) {
      throw new RejectedTransaction('Transaction simulation failed: This transaction has already been processed', [], 'AlreadyProcessed');
    }
    const metadataInstructions = transaction.instructions.filter((ix) => ix.programId.equals(TOKEN_METADATA_PROGRAM_ID));
    if (metadataInstructions.length === 0 || metadataInstructions.length !== transaction.instructions.length) {
      throw new RejectedTransaction('Transaction simulation failed: only Token Metadata instructions are understood here', [], 'UnsupportedProgram');
    }
    const signers = new Set(transaction.signatures.filter((entry) => entry.signature).map((entry) => entry.publicKey.toBase58()));
    const payer = transaction.feePayer!.toBase58();
    const scratch = new Map([...this.accounts].map(([key, account]) => [key, { ...account, data: Buffer.from(account.data) }]));
    const created: CreatedMint[] = [];
    const charge = (lamports: number, what: string, index: number) => {
      const account = scratch.get(payer);
      if (!account || account.lamports < lamports) {
        const have = account?.lamports ?? 0;
        throw new RejectedTransaction(
          `Transaction simulation failed: Error processing Instruction ${index}: custom program error: 0x1`,
          [`Transfer: insufficient lamports ${have}, need ${lamports}`, `${what} failed`],
          { InstructionError: [index, { Custom: 1 }] },
        );
      }
      account.lamports -= lamports;
    };
    const fee = LAMPORTS_PER_SIGNATURE * transaction.signatures.length;
    if ((scratch.get(payer)?.lamports ?? 0) < fee) {
      throw new RejectedTransaction('Transaction simulation failed: Attempt to debit an account but found no record of a prior credit.', [], 'InsufficientFundsForFee');
    }
    charge(fee, 'fee', 0);
    metadataInstructions.forEach((instruction, index) => {
      const context = { scratch, signers, charge: (lamports: number, what: string) => charge(lamports, what, index), index };
      switch (instruction.data[0]) {
        case createInstructionDiscriminator:
          created.push({ ...applyCreate(instruction, context), signature, receivedAtHeight: this.blockHeight });
          break;
        case mintInstructionDiscriminator:
          applyMint(instruction, context, created);
          break;
        case transferInstructionDiscriminator:
          applyTransfer(instruction, context);
          break;
        default:
          throw instructionError(index, `Token Metadata instruction ${instruction.data[0]} is not supported by the fake`);
      }
    });
    this.accounts.clear();
    for (const [key, account] of scratch) this.accounts.set(key, account);
    this.createdMints.push(...created);
    this.landed.set(signature, this.slot);
    return signature;
  }
}

interface ApplyContext {
  scratch: Map<string, FakeAccount>;
  signers: Set<string>;
  charge: (lamports: number, what: string) => void;
  index: number;
}

function instructionError(index: number, log: string): RejectedTransaction {
  return new RejectedTransaction(
    `Transaction simulation failed: Error processing Instruction ${index}: custom program error: 0x0`,
    [`Program ${TOKEN_METADATA_PROGRAM_ID.toBase58()} invoke [1]`, log],
    { InstructionError: [index, { Custom: 0 }] },
  );
}

function pda(seeds: Buffer[]): PublicKey {
  return PublicKey.findProgramAddressSync(seeds, TOKEN_METADATA_PROGRAM_ID)[0];
}

const metadataPda = (mint: PublicKey) => pda([Buffer.from('metadata'), TOKEN_METADATA_PROGRAM_ID.toBuffer(), mint.toBuffer()]);
const editionPda = (mint: PublicKey) =>
  pda([Buffer.from('metadata'), TOKEN_METADATA_PROGRAM_ID.toBuffer(), mint.toBuffer(), Buffer.from('edition')]);

function applyCreate(instruction: TransactionInstruction, context: ApplyContext): Omit<CreatedMint, 'signature' | 'receivedAtHeight'> {
  const [metadata, edition, mint, , , updateAuthority] = instruction.keys.map((key) => key.pubkey);
  const fail = (log: string) => instructionError(context.index, log);
  if (!context.signers.has(mint.toBase58())) throw fail('The new mint must sign its creation');
  if (context.scratch.has(mint.toBase58())) throw fail(`Allocate: account ${mint.toBase58()} already in use`);
  if (!metadata.equals(metadataPda(mint)) || !edition.equals(editionPda(mint))) throw fail('Derived key invalid');
  const [{ createArgs }] = CreateStruct.deserialize(instruction.data);
  const asset = createArgs.assetData;
  context.charge(RENT.mint + RENT.metadata + RENT.edition, 'Create');

  const mintData = Buffer.alloc(MINT_SIZE);
  MintLayout.encode(
    {
      mintAuthorityOption: 1, mintAuthority: edition, supply: 0n, decimals: Number(createArgs.decimals ?? 0), isInitialized: true,
      freezeAuthorityOption: 1, freezeAuthority: edition,
    },
    mintData,
  );
  context.scratch.set(mint.toBase58(), { lamports: RENT.mint, owner: TOKEN_PROGRAM_ID, data: mintData });
  const [metadataData] = Metadata.fromArgs({
    key: Key.MetadataV1,
    updateAuthority,
    mint,
    data: {
      name: asset.name, symbol: asset.symbol, uri: asset.uri, sellerFeeBasisPoints: asset.sellerFeeBasisPoints,
      creators: asset.creators,
    },
    primarySaleHappened: asset.primarySaleHappened,
    isMutable: asset.isMutable,
    editionNonce: 255,
    tokenStandard: asset.tokenStandard,
    collection: asset.collection,
    uses: asset.uses,
    collectionDetails: asset.collectionDetails,
    programmableConfig: null,
  }).serialize();
  context.scratch.set(metadata.toBase58(), { lamports: RENT.metadata, owner: TOKEN_METADATA_PROGRAM_ID, data: padded(metadataData, METADATA_SIZE) });
  const [editionData] = MasterEditionV2.fromArgs({ key: Key.MasterEditionV2, supply: 0, maxSupply: 0 }).serialize();
  context.scratch.set(edition.toBase58(), { lamports: RENT.edition, owner: TOKEN_METADATA_PROGRAM_ID, data: padded(editionData, EDITION_SIZE) });
  return { mint: mint.toBase58(), name: asset.name, uri: asset.uri, recipient: '' };
}

function applyMint(instruction: TransactionInstruction, context: ApplyContext, created: CreatedMint[]): void {
  const keys = instruction.keys.map((key) => key.pubkey);
  const [token, tokenOwner, metadata, , , mint, authority] = keys;
  const fail = (log: string) => instructionError(context.index, log);
  const mintAccount = context.scratch.get(mint.toBase58());
  if (!mintAccount) throw fail('Mint account does not exist');
  if (!metadata.equals(metadataPda(mint))) throw fail('Derived key invalid');
  const [metadataState] = Metadata.fromAccountInfo({ ...context.scratch.get(metadata.toBase58())!, executable: false });
  if (!metadataState.updateAuthority.equals(authority) || !context.signers.has(authority.toBase58())) {
    throw fail('Update authority must sign the mint of a non-fungible');
  }
  if (!token.equals(getAssociatedTokenAddressSync(mint, tokenOwner, true))) throw fail('Token account is not the owner\'s associated account');
  const [{ mintArgs }] = MintStruct.deserialize(instruction.data);
  const amount = BigInt(mintArgs.amount.toString());
  const mintState = MintLayout.decode(mintAccount.data);
  if (mintState.supply + amount > 1n) throw fail('Editions must have exactly one token');
  mintState.supply += amount;
  MintLayout.encode(mintState, mintAccount.data);
  credit(context, token, mint, tokenOwner, amount);
  const record = created.find((entry) => entry.mint === mint.toBase58());
  if (record) record.recipient = tokenOwner.toBase58();
}

function applyTransfer(instruction: TransactionInstruction, context: ApplyContext): void {
  const keys = instruction.keys.map((key) => key.pubkey);
  const [token, tokenOwner, destination, destinationOwner, mint, , , , , authority] = keys;
  const fail = (log: string) => instructionError(context.index, log);
  const source = context.scratch.get(token.toBase58());
  const [{ transferArgs }] = TransferStruct.deserialize(instruction.data);
  const amount = BigInt(transferArgs.amount.toString());
  if (!source) throw fail('Source token account does not exist');
  const state = AccountLayout.decode(source.data);
  if (!state.owner.equals(tokenOwner) || !state.mint.equals(mint)) throw fail('Incorrect owner');
  if (!authority.equals(tokenOwner) || !context.signers.has(authority.toBase58())) throw fail('Owner must sign the transfer');
  if (state.amount < amount) throw fail('Insufficient funds: the source holds no token');
  if (!destination.equals(getAssociatedTokenAddressSync(mint, destinationOwner, true))) throw fail('Destination is not the owner\'s associated account');
  state.amount -= amount;
  AccountLayout.encode(state, source.data);
  credit(context, destination, mint, destinationOwner, amount);
}

/** Adds `amount` to a token account, creating it (paid by the payer) when absent. */
function credit(context: ApplyContext, token: PublicKey, mint: PublicKey, owner: PublicKey, amount: bigint): void {
  let account = context.scratch.get(token.toBase58());
  if (!account) {
    context.charge(RENT.token, 'Create associated token account');
    const data = Buffer.alloc(ACCOUNT_SIZE);
    AccountLayout.encode(
      {
        mint, owner, amount: 0n, delegateOption: 0, delegate: PublicKey.default, state: 1, isNativeOption: 0, isNative: 0n,
        delegatedAmount: 0n, closeAuthorityOption: 0, closeAuthority: PublicKey.default,
      },
      data,
    );
    account = { lamports: RENT.token, owner: TOKEN_PROGRAM_ID, data };
    context.scratch.set(token.toBase58(), account);
  }
  const state = AccountLayout.decode(account.data);
  state.amount += amount;
  AccountLayout.encode(state, account.data);
}

function padded(data: Buffer, size: number): Buffer {
  return data.length >= size ? data : Buffer.concat([data, Buffer.alloc(size - data.length)]);
}
