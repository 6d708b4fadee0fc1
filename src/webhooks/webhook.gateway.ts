import { Injectable, Logger } from '@nestjs/common';
import { lookup } from 'node:dns/promises';
import { request as httpRequest, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, LookupFunction } from 'node:net';
import { AppConfig } from '../config/app-config';
import { JobError, PermanentJobError, TransientJobError } from '../job-definitions/job-errors';
import { addressKind, isDeliverable } from './webhook-address-policy';
import { SIGNATURE_HEADER, signatureHeader } from './webhook-signature';

export interface OutgoingWebhook {
  url: string;
  secret: string;
  event: string;
  /** Stable across every attempt of one delivery, so receivers can drop repeats. */
  deliveryId: string;
  /** The JSON text sent and signed, byte for byte. */
  body: string;
}

/** Every attempt ends in one of these; the caller records it before anything is thrown. */
export type DeliveryOutcome =
  | { delivered: true; statusCode: number }
  | { delivered: false; statusCode: number | null; error: JobError };

interface CheckedAddress {
  address: string;
  family: number;
}

const DELIVERY_TIMEOUT_MS = 10_000;

/**
 * Posts signed events to receivers. The host is resolved first and every address it has must be
 * public (loopback too with WEBHOOK_ALLOW_LOOPBACK); the connection then goes to the address that
 * was checked, so a second DNS answer (rebinding) cannot send it elsewhere. 2xx is delivered;
 * 408, 429, 5xx, timeouts and network errors are worth another attempt; any other answer means
 * the receiver refuses the event, and a refused address is permanent.
 */
@Injectable()
export class WebhookGateway {
  private readonly logger = new Logger(WebhookGateway.name);
  private readonly allowLoopback: boolean;

  constructor(config: AppConfig) {
    this.allowLoopback = config.providers.env.WEBHOOK_ALLOW_LOOPBACK;
    if (this.allowLoopback) this.logger.warn('WEBHOOK_ALLOW_LOOPBACK is set: webhooks may reach loopback receivers');
  }

  async deliver(webhook: OutgoingWebhook): Promise<DeliveryOutcome> {
    const url = new URL(webhook.url);
    let target: CheckedAddress;
    try {
      target = await this.checkedAddress(url.hostname);
    } catch (error) {
      return { delivered: false, statusCode: null, error: error as JobError };
    }
    const headers: OutgoingHttpHeaders = {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(webhook.body),
      'user-agent': 'queue-service-webhooks',
      'x-webhook-id': webhook.deliveryId,
      'x-webhook-event': webhook.event,
      [SIGNATURE_HEADER]: signatureHeader(webhook.secret, webhook.body, Math.floor(Date.now() / 1000)),
    };
    let statusCode: number;
    try {
      statusCode = await post(url, target, headers, webhook.body);
    } catch (error) {
      const reason = error instanceof Error && error.name === 'AbortError' ? 'timed out' : 'could not be reached';
      return { delivered: false, statusCode: null, error: new TransientJobError('webhook_unreachable', `The receiver ${reason}`) };
    }
    if (statusCode >= 200 && statusCode < 300) return { delivered: true, statusCode };
    const error = statusCode === 408 || statusCode === 429 || statusCode >= 500
      ? new TransientJobError('webhook_unavailable', `The receiver answered ${statusCode}`)
      : new PermanentJobError('webhook_rejected', `The receiver answered ${statusCode}`);
    return { delivered: false, statusCode, error };
  }

  private async checkedAddress(hostname: string): Promise<CheckedAddress> {
    const host = hostname.replace(/^\[(.*)\]$/, '$1');
    let addresses: CheckedAddress[];
    if (isIP(host)) {
      addresses = [{ address: host, family: isIP(host) }];
    } else {
      try {
        addresses = await lookup(host, { all: true, verbatim: true });
      } catch {
        throw new TransientJobError('webhook_unreachable', "The receiver's host name could not be resolved");
      }
    }
    // Every address must pass: a host that also resolves to an internal one could be steered to it.
    const refused = addresses.find(({ address }) => !isDeliverable(address, this.allowLoopback));
    if (refused || !addresses.length) {
      const kind = refused ? addressKind(refused.address) : 'unknown';
      throw new PermanentJobError('webhook_address_refused', `The receiver's host resolves to a ${kind} address, which webhooks may not reach`);
    }
    return addresses[0];
  }
}

/** The connection goes to `target` whatever the resolver would answer now. */
function pinnedTo(target: CheckedAddress): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all) callback(null, [target]);
    else callback(null, target.address, target.family);
  };
}

function post(url: URL, target: CheckedAddress, headers: OutgoingHttpHeaders, body: string): Promise<number> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const request = send(
      url,
      // No pooled sockets: each attempt connects to the address checked for it.
      { method: 'POST', headers, agent: false, lookup: pinnedTo(target), signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS) },
      (response: IncomingMessage) => {
        response.on('error', reject);
        response.on('end', () => resolve(response.statusCode ?? 0));
        response.resume();
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}
