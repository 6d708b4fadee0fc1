import { Logger, OnModuleInit } from '@nestjs/common';
import twilio from 'twilio';
import { JobError, PermanentJobError, TransientJobError } from '../job-definitions/job-errors';
import { SmsGateway } from './notification.gateways';

type TwilioClient = ReturnType<typeof twilio>;
type RequestOptions<TData> = Parameters<InstanceType<typeof twilio.RequestClient>['request']>[0] & { data?: TData };

/**
 * The SDK's HTTP client with every request sent to another origin (a fake or a proxy,
 * TWILIO_API_BASE_URL): the SDK's `edge` and `region` options only rename hosts under
 * twilio.com, and its `httpClient` option is the one seam that takes any URL.
 */
export class RebasedRequestClient extends twilio.RequestClient {
  constructor(private readonly baseUrl: URL, options?: ConstructorParameters<typeof twilio.RequestClient>[0]) {
    super(options);
  }

  override request<TData>(options: RequestOptions<TData>) {
    const target = new URL(options.uri);
    // Keeps a path the base URL may have (a proxy's prefix).
    const rebased = new URL(`${this.baseUrl.pathname.replace(/\/$/, '')}${target.pathname}${target.search}`, this.baseUrl);
    return super.request<TData>({ ...options, uri: rebased.href });
  }
}

/**
 * Twilio error codes that say this message can never be sent as asked: retrying gets the same
 * answer. https://www.twilio.com/docs/api/errors
 */
const PERMANENT_TWILIO_CODES: Record<number, string> = {
  21211: 'sms_invalid_number', // invalid 'To' phone number
  21612: 'sms_unreachable_number', // 'To' cannot be reached from this 'From'
  21408: 'sms_region_not_enabled', // permission to send to this region not enabled
  21610: 'sms_opted_out', // recipient replied STOP (unsubscribed)
  21614: 'sms_not_mobile', // 'To' is not a mobile number
  21606: 'sms_invalid_sender', // 'From' is not a valid, SMS-capable number of this account
  21602: 'sms_invalid_body', // body is required
  21617: 'sms_invalid_body', // body exceeds the 1600-character limit
  30003: 'sms_unreachable_number',
  30005: 'sms_unknown_number',
  30006: 'sms_landline',
};

interface TwilioFailure {
  status?: unknown;
  code?: unknown;
  message?: unknown;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'ERR_SOCKET_CONNECTION_TIMEOUT']);

/**
 * Twilio's answer as a job error: its permanent codes and other 4xx permanent; 429, 5xx and
 * network errors transient. Built from the error's code and Twilio's message only: the SDK's
 * raw HTTP errors carry the request, with its Authorization header, and are never passed on.
 */
export function twilioError(error: unknown): JobError {
  const { status, code, message } = (error ?? {}) as TwilioFailure;
  const text = typeof message === 'string' ? message.slice(0, 300) : 'no message';
  if (typeof status === 'number' && typeof code !== 'string') {
    const twilioCode = typeof code === 'number' ? code : undefined;
    const detail = `Twilio answered ${status}${twilioCode ? ` (error ${twilioCode})` : ''}: ${text}`;
    if (twilioCode !== undefined && PERMANENT_TWILIO_CODES[twilioCode]) return new PermanentJobError(PERMANENT_TWILIO_CODES[twilioCode], detail);
    if (status === 429) return new TransientJobError('rate_limited', detail);
    if (status === 408 || status >= 500) return new TransientJobError('provider_unavailable', detail);
    if (status === 401 || status === 403) return new PermanentJobError('sms_auth_failed', `Twilio refused the credentials (${status})`);
    return new PermanentJobError('sms_rejected', detail);
  }
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return new TransientJobError('sms_unreachable', `Twilio could not be reached (${code})`);
  return new TransientJobError('sms_error', `Sending the SMS failed${typeof code === 'string' ? ` (${code})` : ''}`);
}

export interface TwilioSettings {
  accountSid: string;
  authToken: string;
  /** A phone number (E.164) or a Messaging Service SID (MG…). */
  from: string;
  baseUrl?: string;
}

const REQUEST_TIMEOUT_MS = 15_000;

/** SMS through the Twilio SDK's Messages API. Twilio has no idempotency key: the journal's `sms_sent` step is what prevents a resend. */
export class TwilioSmsGateway extends SmsGateway implements OnModuleInit {
  private readonly logger = new Logger('SmsGateway');
  private readonly client: TwilioClient;

  constructor(private readonly settings: TwilioSettings) {
    super();
    const base = settings.baseUrl ? new URL(settings.baseUrl) : undefined;
    this.client = twilio(settings.accountSid, settings.authToken, {
      timeout: REQUEST_TIMEOUT_MS,
      // Retries belong to the job's strategy, which counts them; the SDK's own would hide them.
      autoRetry: false,
      ...(base ? { httpClient: new RebasedRequestClient(base, { timeout: REQUEST_TIMEOUT_MS }) } : {}),
    });
  }

  onModuleInit(): void {
    const where = this.settings.baseUrl ? ` at ${new URL(this.settings.baseUrl).host} (TWILIO_API_BASE_URL)` : '';
    this.logger.log(`SMS is live: Twilio${where}`);
  }

  async send(to: string, body: string): Promise<{ messageSid: string }> {
    const from = this.settings.from.startsWith('MG') ? { messagingServiceSid: this.settings.from } : { from: this.settings.from };
    try {
      const message = await this.client.messages.create({ to, body, ...from });
      return { messageSid: message.sid };
    } catch (error) {
      throw twilioError(error);
    }
  }
}
