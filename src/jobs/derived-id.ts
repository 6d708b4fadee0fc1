import { createHash } from 'node:crypto';

/**
 * A UUID that is the same every time for the same parts (a follow-up of one parent, one tick
 * of one schedule), so repeating a submission can never make a second job. Laid out as a
 * name-based (version 5) UUID over SHA-256.
 */
export function derivedJobId(...parts: string[]): string {
  const hex = createHash('sha256').update(parts.join('\u0000')).digest('hex');
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
