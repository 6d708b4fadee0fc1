import { Injectable } from '@nestjs/common';
import { HandlesJob, JobContext, JobHandler } from '../job-definitions/job-handler';
import type { EmailSendPayload, EmailTemplate } from '../job-definitions/payloads/communication.payloads';
import { EmailContent, renderEmail } from './email-templates';
import { EmailGateway } from './notification.gateways';

/** `template` is null for the subject-and-body form. */
type EmailResult = { messageId: string; template: EmailTemplate | null };

/** The payload's two forms; validation has made sure it is one of them. */
function contentOf(payload: EmailSendPayload): EmailContent {
  if (payload.template) return { template: payload.template, data: payload.data ?? {}, subject: payload.subject };
  return { body: payload.body ?? '', subject: payload.subject ?? '' };
}

@Injectable()
@HandlesJob('email-send')
export class EmailHandler implements JobHandler<'email-send', EmailResult> {
  constructor(private readonly email: EmailGateway) {}

  async execute(payload: EmailSendPayload, context: JobContext): Promise<EmailResult> {
    const rendered = renderEmail(contentOf(payload));
    // Journalled: once the server accepted the message, no re-run of this job sends it again.
    const { messageId } = await context.step('email_sent', () =>
      this.email.send({ to: payload.to, ...rendered }, context.providerKey('email_sent')),
    );
    return { messageId, template: payload.template ?? null };
  }
}
