import { PublicKey } from '@solana/web3.js';
import { assertMintable, explorerUrl } from './nft-requests';

const WALLET = '9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin';
const request = { name: 'GA', symbol: 'TIX', uri: 'https://tickets.example/1.json', sellerFeeBasisPoints: 0, recipientWallet: WALLET };

describe('NFT requests', () => {
  it('refuses, as permanent, an off-curve recipient, a non-fetchable URI and shares that do not add up to 100', () => {
    const pda = PublicKey.findProgramAddressSync([Buffer.from('x')], PublicKey.default)[0].toBase58();
    expect(() => assertMintable({ ...request, recipientWallet: pda })).toThrow(expect.objectContaining({ code: 'invalid_recipient', permanent: true }));
    expect(() => assertMintable({ ...request, uri: 'javascript:alert(1)' })).toThrow(expect.objectContaining({ code: 'invalid_metadata_uri' }));
    expect(() => assertMintable({ ...request, creators: [{ address: WALLET, share: 60 }] })).toThrow(expect.objectContaining({ code: 'invalid_creators' }));
    expect(() => assertMintable({ ...request, uri: 'ipfs://bafy/1.json', creators: [{ address: WALLET, share: 100 }] })).not.toThrow();
  });

  it('links the explorer on the configured cluster; a local RPC by its origin only', () => {
    expect(explorerUrl('mainnet-beta', 'tx', 'sig')).toBe('https://explorer.solana.com/tx/sig');
    expect(explorerUrl('devnet', 'address', 'mint')).toBe('https://explorer.solana.com/address/mint?cluster=devnet');
    expect(explorerUrl('localnet', 'tx', 'sig', 'http://127.0.0.1:8899/path?api-key=k')).toBe(
      'https://explorer.solana.com/tx/sig?cluster=custom&customUrl=http%3A%2F%2F127.0.0.1%3A8899',
    );
  });
});
