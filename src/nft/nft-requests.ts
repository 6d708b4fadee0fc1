import { PublicKey } from '@solana/web3.js';
import { PermanentJobError } from '../job-definitions/job-errors';
import type { MintRequest, SolanaCluster } from './nft.gateway';

const METADATA_URI_SCHEMES = new Set(['https:', 'http:', 'ipfs:', 'ar:']);

/**
 * What the chain would refuse, or what would mint something useless, refused before anything is
 * signed: a recipient that no keypair can hold (off the ed25519 curve, e.g. a program address),
 * a metadata URI wallets cannot fetch, creator shares that do not add up to 100.
 */
export function assertMintable(request: MintRequest): void {
  assertWallet(request.recipientWallet, 'recipient');
  let uri: URL | undefined;
  try {
    uri = new URL(request.uri);
  } catch {
    uri = undefined;
  }
  if (!uri || !METADATA_URI_SCHEMES.has(uri.protocol)) {
    throw new PermanentJobError('invalid_metadata_uri', 'The metadata URI must be an https, http, ipfs or ar URL');
  }
  if (request.creators?.length) {
    for (const creator of request.creators) assertWallet(creator.address, 'creator');
    const total = request.creators.reduce((sum, creator) => sum + creator.share, 0);
    if (total !== 100) throw new PermanentJobError('invalid_creators', `Creator shares add up to ${total}, not 100`);
  }
}

export function assertWallet(address: string, role: 'recipient' | 'creator' | 'owner'): PublicKey {
  let key: PublicKey;
  try {
    key = new PublicKey(address);
  } catch {
    throw new PermanentJobError(`invalid_${role}`, `The ${role} is not a Solana address`);
  }
  if (!PublicKey.isOnCurve(key.toBytes())) {
    throw new PermanentJobError(`invalid_${role}`, `The ${role} is a program-derived address, which no wallet can sign for`);
  }
  return key;
}

/** The Solana Explorer page of a transaction or an account, on the configured cluster. */
export function explorerUrl(cluster: SolanaCluster, kind: 'tx' | 'address', value: string, rpcUrl?: string): string {
  const base = `https://explorer.solana.com/${kind}/${value}`;
  if (cluster === 'mainnet-beta') return base;
  if (cluster === 'localnet') {
    // Only the origin: an RPC URL's path or query may carry a provider's API key.
    const origin = rpcUrl ? new URL(rpcUrl).origin : 'http://localhost:8899';
    return `${base}?cluster=custom&customUrl=${encodeURIComponent(origin)}`;
  }
  return `${base}?cluster=${cluster}`;
}
