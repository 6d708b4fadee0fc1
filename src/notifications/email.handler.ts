import { Injectable } from '@nestjs/common';
import { HandlesJob, JobContext, JobHandler } from '../job-definitions/job-handler';
import type { EmailSendPayload } from '../job-definitions/payloads/communication.payloads';
import { renderEmail } from './email-templates';
import { EmailGateway } from './notification.gateways';

type EmailResult = { messageId: string; template: string };

@Injectable()
@HandlesJob('email-send')
export class EmailHandler implements JobHandler<'email-send', EmailResult> {
  constructor(private readonly email: EmailGateway) {}

  async execute(payload: EmailSendPayload, context: JobContext): Promise<EmailResult> {
    const rendered = renderEmail(payload.template, payload.data, payload.subject);
    const { messageId } = await context.step('email_sent', () =>
      this.email.send({ to: payload.to, ...rendered }, `${context.idempotencyKey}:email`),
    );
    return { messageId, template: payload.template };
  }
}
