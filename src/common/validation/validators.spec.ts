import bs58 from 'bs58';
import { validate } from 'class-validator';
import { IsBoundedObject, IsCurrencyCode, isSolanaAddress, IsSolanaAddress, IsStringMap } from './validators';

class WithWallet {
  @IsSolanaAddress()
  wallet: unknown;
}

class WithCurrency {
  @IsCurrencyCode()
  currency: unknown;
}

class WithStringMap {
  @IsStringMap()
  metadata: unknown;
}

class WithBoundedObject {
  @IsBoundedObject(50)
  properties: unknown;
}

async function problemsOf<T extends object>(type: new () => T, values: Partial<Record<keyof T, unknown>>) {
  const errors = await validate(Object.assign(new type(), values));
  return errors.flatMap((error) => Object.entries(error.constraints ?? {}));
}

/** A flat map of `count` keys, keyed k0…kN, each mapped to `value`. */
function mapOf(count: number, value = 'v'): Record<string, string> {
  return Object.fromEntries(Array.from({ length: count }, (_, index) => [`k${index}`, value]));
}

describe('isSolanaAddress', () => {
  it.each([
    ['a well-known wallet', '9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin'],
    ['the USDC mint', 'EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v'],
    ['the system program (32 zero bytes)', '11111111111111111111111111111111'],
    ['any 32 bytes in base58', bs58.encode(Buffer.alloc(32, 200))],
  ])('accepts %s', (_case, value) => {
    expect(isSolanaAddress(value)).toBe(true);
  });

  it.each([
    ['a number', 12345],
    ['null', null],
    ['undefined', undefined],
    ['an empty string', ''],
    ['too short (31 chars)', '1'.repeat(31)],
    ['too long (45 chars)', 'z'.repeat(45)],
    ['a 0 (not in the base58 alphabet)', '0xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin'],
    ['an O (not in the base58 alphabet)', 'OxQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin'],
    ['an I (not in the base58 alphabet)', 'IxQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin'],
    ['an l (not in the base58 alphabet)', 'lxQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin'],
    ['a space', '9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFi '],
    ['base58 of 31 bytes', bs58.encode(Buffer.alloc(31, 7))],
    ['44 chars that decode to 33 bytes', 'z'.repeat(44)],
    ['44 ones (44 zero bytes)', '1'.repeat(44)],
  ])('rejects %s', (_case, value) => {
    expect(isSolanaAddress(value)).toBe(false);
  });

  it('names the property in the message of the decorator', async () => {
    expect(await problemsOf(WithWallet, { wallet: 'not-a-wallet' })).toEqual([
      ['isSolanaAddress', 'wallet must be a base58 Solana address (32 bytes)'],
    ]);
    expect(await problemsOf(WithWallet, { wallet: '9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin' })).toEqual([]);
  });
});

describe('IsCurrencyCode', () => {
  it.each(['usd', 'USD', 'Usd', 'eur', 'JPY'])('accepts %s', async (currency) => {
    expect(await problemsOf(WithCurrency, { currency })).toEqual([]);
  });

  it.each([['usdx'], ['us'], ['zzz'], [''], [840], [null], [['usd']]])('rejects %p', async (currency) => {
    expect(await problemsOf(WithCurrency, { currency })).toEqual([
      ['isCurrencyCode', 'currency must be an ISO 4217 currency code such as usd'],
    ]);
  });
});

describe('IsStringMap', () => {
  it.each([
    ['an empty map', {}],
    ['50 keys', mapOf(50)],
    ['a 40-character key', { ['k'.repeat(40)]: 'v' }],
    ['a 500-character value', { key: 'v'.repeat(500) }],
    ['an empty string value', { key: '' }],
  ])('accepts %s', async (_case, metadata) => {
    expect(await problemsOf(WithStringMap, { metadata })).toEqual([]);
  });

  it.each([
    ['51 keys', mapOf(51)],
    ['a 41-character key', { ['k'.repeat(41)]: 'v' }],
    ['a 501-character value', { key: 'v'.repeat(501) }],
    ['a number value', { key: 1 }],
    ['a nested object', { key: { inner: 'v' } }],
    ['a null value', { key: null }],
    ['an array', ['v']],
    ['a string', 'v'],
    ['null', null],
  ])('rejects %s', async (_case, metadata) => {
    expect(await problemsOf(WithStringMap, { metadata })).toEqual([
      ['isStringMap', 'metadata must map at most 50 keys (≤40 chars) to strings (≤500 chars)'],
    ]);
  });
});

describe('IsBoundedObject', () => {
  // {"k":"…"} is 8 bytes of JSON around the value.
  const ofJsonSize = (bytes: number) => ({ k: 'x'.repeat(bytes - 8) });

  it('measures the object as JSON', () => {
    expect(Buffer.byteLength(JSON.stringify(ofJsonSize(50)))).toBe(50);
  });

  it.each([
    ['an empty object', {}],
    ['an object of exactly the limit', ofJsonSize(50)],
    ['a nested object under the limit', { a: { b: [1, 2, 3] } }],
  ])('accepts %s', async (_case, properties) => {
    expect(await problemsOf(WithBoundedObject, { properties })).toEqual([]);
  });

  it.each([
    ['an object one byte over the limit', ofJsonSize(51)],
    ['an object over the limit in multi-byte characters', { k: 'é'.repeat(25) }],
    ['an array', [1, 2]],
    ['a string', 'text'],
    ['a number', 42],
    ['null', null],
  ])('rejects %s', async (_case, properties) => {
    expect(await problemsOf(WithBoundedObject, { properties })).toEqual([
      ['isBoundedObject', 'properties must be an object of at most 50 bytes as JSON'],
    ]);
  });
});
