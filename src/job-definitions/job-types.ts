import type { ClassConstructor } from 'class-transformer';
import type { QueueName } from './queue-names';
import type { ProviderName } from './provider-names';
import { AnalyticsProcessPayload, CleanupPayload, ScheduledTaskPayload } from './payloads/background.payloads';
import { EmailSendPayload, SmsSendPayload, WebhookDeliverPayload, WebhookEventPayload } from './payloads/communication.payloads';
import {
  NftMintPayload, NftTransferPayload, PaymentProcessPayload, RefundProcessPayload, StripeEventPayload,
} from './payloads/money.payloads';

/** A token's roles (common/auth's ROLES; the jobs layer checks the two lists are the same). */
export type SubmitterRole = 'admin' | 'venue_admin' | 'user';

/** Everyone with a token of the tenant: its clients (`user`), its venue admin, the platform operator. */
const ANY_ROLE = ['user', 'venue_admin', 'admin'] as const;
const ADMINS = ['venue_admin', 'admin'] as const;
const PLATFORM_OPERATOR = ['admin'] as const;

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
  /**
   * The roles that may submit this type through `POST /jobs`, `POST /jobs/batch` and schedules
   * (docs/ARCHITECTURE.md, "Who may submit which type"). Internal types have none.
   */
  submitters?: readonly SubmitterRole[];
}

/**
 * The one map of job types. Adding a type means an entry here and one handler class
 * decorated with @HandlesJob(type); start-up fails if a type has no handler or two.
 */
export const JOB_TYPES = {
  'payment-process': { queue: 'money', payload: PaymentProcessPayload, persisted: true, provider: 'stripe', submitters: ANY_ROLE },
  // Money going back out: the venue decides, and the payment must be one of this tenant's.
  'refund-process': { queue: 'money', payload: RefundProcessPayload, persisted: true, provider: 'stripe', submitters: ADMINS },
  // Stripe's own account of a payment, reconciled with our records; it calls no provider.
  'stripe-event': { queue: 'money', payload: StripeEventPayload, persisted: true, internal: true },
  'nft-mint': { queue: 'money', payload: NftMintPayload, persisted: true, provider: 'solana-rpc', submitters: ANY_ROLE },
  'nft-transfer': { queue: 'money', payload: NftTransferPayload, persisted: true, provider: 'solana-rpc', submitters: ANY_ROLE },
  'email-send': { queue: 'communication', payload: EmailSendPayload, persisted: true, provider: 'sendgrid', submitters: ANY_ROLE },
  'sms-send': { queue: 'communication', payload: SmsSendPayload, persisted: true, provider: 'twilio', submitters: ANY_ROLE },
  'webhook-event': { queue: 'communication', payload: WebhookEventPayload, persisted: true, internal: true },
  'webhook-deliver': { queue: 'communication', payload: WebhookDeliverPayload, persisted: true, internal: true },
  'analytics-process': { queue: 'background', payload: AnalyticsProcessPayload, persisted: false, submitters: ANY_ROLE },
  // Deletes the tenant's records and dead letters; `target: all` only for the platform operator (CLEANUP_ALL_SUBMITTERS).
  cleanup: { queue: 'background', payload: CleanupPayload, persisted: false, submitters: ADMINS },
  // Service maintenance across every tenant.
  'scheduled-task': { queue: 'background', payload: ScheduledTaskPayload, persisted: false, submitters: PLATFORM_OPERATOR },
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

/** The roles that may submit a type; none for an internal type. */
export function submittersOf(type: JobType): readonly SubmitterRole[] {
  return (JOB_TYPES[type] as JobTypeDefinition).submitters ?? [];
}

/** Priorities above `normal` jump every other tenant's work in the shared queues: not for a plain user. */
export const ELEVATED_PRIORITY_SUBMITTERS: readonly SubmitterRole[] = ADMINS;

/** A cleanup of every target at once (records, keys, dead letters and Bull's completed jobs). */
export const CLEANUP_ALL_SUBMITTERS: readonly SubmitterRole[] = PLATFORM_OPERATOR;

/** The provider guarding a type's work, if any. */
export function providerOf(type: JobType): ProviderName | undefined {
  return (JOB_TYPES[type] as JobTypeDefinition).provider;
}

/** Queues whose every job has a `jobs` row; the others' jobs live only in Redis. */
export function isPersistedQueue(queue: QueueName): boolean {
  return Object.values(JOB_TYPES).some((definition) => definition.queue === queue && definition.persisted);
}
