import type { JobType, PayloadOf } from './job-types';

/** What a redacted field holds instead of its value. */
export const REDACTED = '[redacted]';

interface PersonalFields<T extends JobType> {
  /** Fields of the payload (`data`) that identify or reach a person, or may (free text, free-form maps). */
  data: readonly (keyof PayloadOf<T> & string)[];
  /** Fields of the handler's result that echo such a value. */
  result: readonly string[];
}

/**
 * The one list of personal data per job type: e-mail addresses, phone numbers, message texts,
 * payment methods and customers, the wallets and addresses of recipients, and free text or
 * free-form maps a client may fill with any of them. A platform operator reads another tenant's
 * jobs with these fields redacted unless it asks with `includePersonalData=true`; the bull-board
 * dashboard always shows them redacted. A payload field added later is public until listed here.
 */
export const PERSONAL_DATA_FIELDS: { [T in JobType]: PersonalFields<T> } = {
  'payment-process': { data: ['paymentMethodId', 'customerId', 'customerEmail', 'description', 'metadata'], result: [] },
  'refund-process': { data: ['customerEmail'], result: [] },
  'stripe-event': { data: [], result: [] },
  'nft-mint': { data: ['recipientWallet', 'recipientEmail'], result: [] },
  'nft-transfer': { data: ['toWallet', 'fromWallet'], result: ['toWallet'] },
  'email-send': { data: ['to', 'subject', 'body', 'data'], result: [] },
  'sms-send': { data: ['to', 'body'], result: [] },
  // Event bodies are built by the service without personal data (see WebhookEventPayload).
  'webhook-event': { data: [], result: [] },
  'webhook-deliver': { data: [], result: [] },
  'analytics-process': { data: ['properties'], result: [] },
  cleanup: { data: [], result: [] },
  'scheduled-task': { data: [], result: [] },
};

export interface RedactedJobContent {
  data: Record<string, unknown>;
  result: unknown;
  /** The fields replaced, as `data.<field>` or `result.<field>`; empty when nothing was there to redact. */
  redactedFields: string[];
}

/** A copy of a job's data and result with its type's personal fields, where present, replaced by REDACTED. */
export function redactPersonalData(type: JobType, data: Record<string, unknown>, result: unknown): RedactedJobContent {
  const fields = PERSONAL_DATA_FIELDS[type] as PersonalFields<JobType> | undefined;
  const redactedFields: string[] = [];
  // A type no longer in the registry (an old record): nothing of it is known to be public.
  const redactedData = redactFields(data, fields?.data ?? Object.keys(data), 'data', redactedFields);
  const redactedResult = isObject(result)
    ? redactFields(result, fields?.result ?? Object.keys(result), 'result', redactedFields)
    : result;
  return { data: redactedData, result: redactedResult, redactedFields };
}

function redactFields(
  source: Record<string, unknown>,
  fields: readonly string[],
  prefix: string,
  redacted: string[],
): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...source };
  for (const field of fields) {
    if (Object.hasOwn(copy, field) && copy[field] !== undefined && copy[field] !== null) {
      copy[field] = REDACTED;
      redacted.push(`${prefix}.${field}`);
    }
  }
  return copy;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
