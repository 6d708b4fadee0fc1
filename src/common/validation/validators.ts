import bs58 from 'bs58';
import { isISO4217CurrencyCode, ValidateBy, ValidationOptions } from 'class-validator';

export function isSolanaAddress(value: unknown): boolean {
  if (typeof value !== 'string' || !/^[1-9A-HJ-NP-Za-km-z]{32,44}$/.test(value)) return false;
  try {
    return bs58.decode(value).length === 32;
  } catch {
    return false;
  }
}

/** A base58-encoded 32-byte Solana public key. */
export function IsSolanaAddress(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isSolanaAddress',
      validator: {
        validate: isSolanaAddress,
        defaultMessage: (args) => `${args?.property} must be a base58 Solana address (32 bytes)`,
      },
    },
    options,
  );
}

/** An ISO 4217 code in either case (`usd` and `USD`); Stripe receives it lower-cased. */
export function IsCurrencyCode(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isCurrencyCode',
      validator: {
        validate: (value) => typeof value === 'string' && isISO4217CurrencyCode(value.toUpperCase()),
        defaultMessage: (args) => `${args?.property} must be an ISO 4217 currency code such as usd`,
      },
    },
    options,
  );
}

/** A flat map of strings, within Stripe's metadata limits (50 keys, 40-char keys, 500-char values). */
export function IsStringMap(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isStringMap',
      validator: {
        validate: (value) =>
          isPlainObject(value) &&
          Object.keys(value).length <= 50 &&
          Object.entries(value).every(
            ([key, entry]) => key.length <= 40 && typeof entry === 'string' && entry.length <= 500,
          ),
        defaultMessage: (args) =>
          `${args?.property} must map at most 50 keys (≤40 chars) to strings (≤500 chars)`,
      },
    },
    options,
  );
}

/** A JSON object whose serialized form stays under `maxBytes`, so no payload can bloat Redis. */
export function IsBoundedObject(maxBytes: number, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isBoundedObject',
      constraints: [maxBytes],
      validator: {
        validate: (value) =>
          isPlainObject(value) && Buffer.byteLength(JSON.stringify(value)) <= maxBytes,
        defaultMessage: (args) =>
          `${args?.property} must be an object of at most ${maxBytes} bytes as JSON`,
      },
    },
    options,
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
