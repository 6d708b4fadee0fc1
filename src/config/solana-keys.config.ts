import bs58 from 'bs58';

/**
 * A Solana keypair's 64-byte secret key, given as base58 (what `solana-keygen` and wallets
 * export) or as a JSON byte array (the id.json file). Undefined when it is neither.
 */
export function decodeSolanaSecretKey(text: string): Uint8Array | undefined {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    try {
      const bytes: unknown = JSON.parse(trimmed);
      const valid = Array.isArray(bytes) && bytes.length === 64 && bytes.every((byte) => Number.isInteger(byte) && byte >= 0 && byte <= 255);
      return valid ? Uint8Array.from(bytes as number[]) : undefined;
    } catch {
      return undefined;
    }
  }
  try {
    const bytes = bs58.decode(trimmed);
    return bytes.length === 64 ? bytes : undefined;
  } catch {
    return undefined;
  }
}

/** The 32-byte AES-256 key that seals mint keys at rest: 64 hex characters or base64. */
export function decodeEncryptionKey(text: string): Buffer | undefined {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed)) {
    const bytes = Buffer.from(trimmed, 'base64');
    if (bytes.length === 32) return bytes;
  }
  return undefined;
}
