import { Injectable } from '@nestjs/common';
import { HandlesJob, JobContext, JobHandler } from '../job-definitions/job-handler';
import type { SmsSendPayload } from '../job-definitions/payloads/communication.payloads';
import { SmsGateway } from './notification.gateways';

type SmsResult = { messageSid: string; segments: number };

@Injectable()
@HandlesJob('sms-send')
export class SmsHandler implements JobHandler<'sms-send', SmsResult> {
  constructor(private readonly sms: SmsGateway) {}

  async execute(payload: SmsSendPayload, context: JobContext): Promise<SmsResult> {
    // Twilio takes no idempotency key: this journalled step is what keeps a re-run from texting twice.
    const { messageSid } = await context.step('sms_sent', () =>
      this.sms.send(payload.to, payload.body, context.providerKey('sms_sent')),
    );
    // GSM-7 messages split into 153-character parts once longer than 160.
    const segments = payload.body.length <= 160 ? 1 : Math.ceil(payload.body.length / 153);
    return { messageSid, segments };
  }
}
