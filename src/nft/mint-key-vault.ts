import { Injectable } from '@nestjs/common';
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { AppConfig } from '../config/app-config';
import { decodeEncryptionKey } from '../config/solana-keys.config';

const FORMAT = 'aes-256-gcm.v1';

/**
 * Seals a mint keypair's secret key for the effect journal (AES-256-GCM with
 * NFT_KEY_ENCRYPTION_KEY), bound to the tenant and the mint address it signs for. Live mode
 * requires the key; the sandbox, whose mint keys sign nothing real, falls back to a fixed one.
 */
@Injectable()
export class MintKeyVault {
  private readonly key: Buffer;

  constructor(config: AppConfig) {
    const configured = config.providers.env.NFT_KEY_ENCRYPTION_KEY;
    const key = configured ? decodeEncryptionKey(configured) : undefined;
    if (configured && !key) throw new Error('NFT_KEY_ENCRYPTION_KEY is not a 32-byte key');
    if (!key && config.providers.modes.solana === 'live') throw new Error('NFT_KEY_ENCRYPTION_KEY is required for live Solana');
    this.key = key ?? createHash('sha256').update('queue-service sandbox mint keys only').digest();
  }

  seal(secretKey: Uint8Array, binding: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(binding));
    const sealed = Buffer.concat([cipher.update(secretKey), cipher.final()]);
    return [FORMAT, iv.toString('base64'), cipher.getAuthTag().toString('base64'), sealed.toString('base64')].join(':');
  }

  /** Throws when the text was not sealed by this key for this binding (tampered, or another key). */
  open(sealedText: string, binding: string): Uint8Array {
    const [format, iv, tag, sealed] = sealedText.split(':');
    if (format !== FORMAT || !iv || !tag || !sealed) throw new Error('The journalled mint key is not in a known format');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
    decipher.setAAD(Buffer.from(binding));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return new Uint8Array(Buffer.concat([decipher.update(Buffer.from(sealed, 'base64')), decipher.final()]));
  }
}
