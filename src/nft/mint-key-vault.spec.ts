import { Keypair } from '@solana/web3.js';
import { randomBytes } from 'node:crypto';
import { AppConfig } from '../config/app-config';
import { validateEnvironment } from '../config/environment';
import { MintKeyVault } from './mint-key-vault';

const vaultWith = (key: string) => new MintKeyVault(new AppConfig(validateEnvironment({ NFT_KEY_ENCRYPTION_KEY: key })));

describe('MintKeyVault', () => {
  const key = randomBytes(32).toString('hex');
  const secret = Keypair.generate().secretKey;

  it('opens what it sealed for the same binding, and the sealed text holds no clear key', () => {
    const vault = vaultWith(key);
    const sealed = vault.seal(secret, 'nft-mint:t1:mintA');
    expect(Buffer.from(vault.open(sealed, 'nft-mint:t1:mintA'))).toEqual(Buffer.from(secret));
    expect(sealed).not.toContain(Buffer.from(secret).toString('base64'));
    expect(vault.seal(secret, 'nft-mint:t1:mintA')).not.toBe(sealed); // a fresh IV each time
  });

  it('refuses another binding (another tenant or mint), another key, or a tampered text', () => {
    const sealed = vaultWith(key).seal(secret, 'nft-mint:t1:mintA');
    expect(() => vaultWith(key).open(sealed, 'nft-mint:t2:mintA')).toThrow();
    expect(() => vaultWith(randomBytes(32).toString('base64')).open(sealed, 'nft-mint:t1:mintA')).toThrow();
    const parts = sealed.split(':');
    parts[3] = Buffer.from(Buffer.from(parts[3], 'base64').map((byte, index) => (index === 0 ? byte ^ 1 : byte))).toString('base64');
    expect(() => vaultWith(key).open(parts.join(':'), 'nft-mint:t1:mintA')).toThrow();
  });
});
