import bs58 from 'bs58';
import { createHash } from 'node:crypto';

/** Deterministic ids for the sandbox gateways: the same request always gets the same id. */
export function sandboxId(prefix: string, ...parts: string[]): string {
  return `${prefix}${digest(parts).toString('hex').slice(0, 24)}`;
}

/** A base58 string of `bytes` bytes (32 for a public key, 64 for a signature). */
export function sandboxBase58(bytes: 32 | 64, ...parts: string[]): string {
  const seed = digest(parts);
  const material = bytes === 32 ? seed : Buffer.concat([seed, digest([...parts, 'second-half'])]);
  return bs58.encode(material);
}

function digest(parts: string[]): Buffer {
  return createHash('sha256').update(parts.join('\u0000')).digest();
}
