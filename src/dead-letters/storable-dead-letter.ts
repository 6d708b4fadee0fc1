import { storableObject, storableText } from '../common/validation/storable';
import type { DeadLetterEntry } from './dead-letter-recorder';

/** A job's data as it was submitted is at most ~5 MB (a batch body); an entry keeps up to this much. */
export const MAX_DEAD_LETTER_DATA_BYTES = 256 * 1024;
export const MAX_DEAD_LETTER_MESSAGE_LENGTH = 2000;

/**
 * The entry as PostgreSQL will take it: no NUL or lone surrogate in any text or jsonb value, the
 * message bounded, and data too large replaced by a marker (`{ unstorable: true, reason, bytes }`).
 * The job's own record keeps its full data.
 */
export function storableDeadLetter(entry: DeadLetterEntry): DeadLetterEntry {
  return {
    ...entry,
    data: storableObject(entry.data, MAX_DEAD_LETTER_DATA_BYTES) as Record<string, unknown>,
    idempotencyKey: entry.idempotencyKey === null ? null : storableText(entry.idempotencyKey, 255),
    errorType: storableText(entry.errorType, 100),
    errorMessage: storableText(entry.errorMessage, MAX_DEAD_LETTER_MESSAGE_LENGTH),
  };
}
