import type { ClassConstructor } from 'class-transformer';
import type { QueueName } from './queue-names';
import type { ProviderName } from './provider-names';
import { AnalyticsProcessPayload, CleanupPayload, ScheduledTaskPayload } from './payloads/background.payloads';
import { EmailSendPayload, SmsSendPayload, WebhookDeliverPayload, WebhookEventPayload } from './payloads/communication.payloads';
import {
  NftMintPayload, NftTransferPayload, PaymentProcessPayload, RefundProcessPayload, StripeEventPayload,
} from './payloads/money.payloads';

interface JobTypeDefinition {
  queue: QueueName;
  payload: new () => object;
  /** Persisted jobs get a `jobs` row before they reach Redis; the row id is the Bull jobId. */
  persisted: boolean;
  /** The external provider whose token bucket and circuit breaker guard this type's work. */
  provider?: ProviderName;
  /**
   * Internal types are submitted only by the service itself (follow-ups, schedules, alerts,
   * inbound Stripe events): their payloads carry what no client may choose, such as a URL to
   * call. `POST /jobs` answers 400 for them as for an unknown type.
   */
  internal?: true;
}

/**
 * The one map of job types. Adding a type means an entry here and one handler class
 * decorated with @HandlesJob(type); start-up fails if a type has no handler or two.
 */
export const JOB_TYPES = {
  'payment-process': { queue: 'money', payload: PaymentProcessPayload, persisted: true, provider: 'stripe' },
  'refund-process': { queue: 'money', payload: RefundProcessPayload, persisted: true, provider: 'stripe' },
  // Stripe's own account of a payment, reconciled with our records; it calls no provider.
  'stripe-event': { queue: 'money', payload: StripeEventPayload, persisted: true, internal: true },
  'nft-mint': { queue: 'money', payload: NftMintPayload, persisted: true, provider: 'solana-rpc' },
  'nft-transfer': { queue: 'money', payload: NftTransferPayload, persisted: true, provider: 'solana-rpc' },
  'email-send': { queue: 'communication', payload: EmailSendPayload, persisted: true, provider: 'sendgrid' },
  'sms-send': { queue: 'communication', payload: SmsSendPayload, persisted: true, provider: 'twilio' },
  'webhook-event': { queue: 'communication', payload: WebhookEventPayload, persisted: true, internal: true },
  'webhook-deliver': { queue: 'communication', payload: WebhookDeliverPayload, persisted: true, internal: true },
  'analytics-process': { queue: 'background', payload: AnalyticsProcessPayload, persisted: false },
  cleanup: { queue: 'background', payload: CleanupPayload, persisted: false },
  'scheduled-task': { queue: 'background', payload: ScheduledTaskPayload, persisted: false },
} as const satisfies Record<string, JobTypeDefinition>;

export type JobType = keyof typeof JOB_TYPES;
export type PayloadOf<T extends JobType> = InstanceType<(typeof JOB_TYPES)[T]['payload']>;

export const JOB_TYPE_NAMES = Object.keys(JOB_TYPES) as JobType[];

type InternalJobType = { [T in JobType]: (typeof JOB_TYPES)[T] extends { internal: true } ? T : never }[JobType];
/**
 * The types a client may submit through the API, in registry order; the OpenAPI document's
 * submission union is built from this list.
 */
export type ClientJobType = Exclude<JobType, InternalJobType>;

export function clientJobTypes(): ClientJobType[] {
  return JOB_TYPE_NAMES.filter((type): type is ClientJobType => !(JOB_TYPES[type] as JobTypeDefinition).internal);
}

export function isJobType(value: unknown): value is JobType {
  return typeof value === 'string' && Object.hasOwn(JOB_TYPES, value);
}

/** The payload class of a type, typed loosely enough to pass to class-transformer. */
export function payloadClassOf(type: JobType): ClassConstructor<object> {
  return JOB_TYPES[type].payload;
}

/** The provider guarding a type's work, if any. */
export function providerOf(type: JobType): ProviderName | undefined {
  return (JOB_TYPES[type] as JobTypeDefinition).provider;
}

/** Queues whose every job has a `jobs` row; the others' jobs live only in Redis. */
export function isPersistedQueue(queue: QueueName): boolean {
  return Object.values(JOB_TYPES).some((definition) => definition.queue === queue && definition.persisted);
}
