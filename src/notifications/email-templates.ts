import type { EmailTemplate } from '../job-definitions/payloads/communication.payloads';

export interface RenderedEmail {
  subject: string;
  text: string;
}

const DEFAULT_SUBJECTS: Record<EmailTemplate, string> = {
  'payment-confirmation': 'Your payment was received',
  'refund-confirmation': 'Your refund is on its way',
  'nft-minted': 'Your ticket has been minted',
  'admin-alert': 'Queue service alert',
  generic: 'A message from your venue',
};

/** Plain-text rendering: every template variable listed as `name: value`. */
export function renderEmail(template: EmailTemplate, data: Record<string, unknown>, subject?: string): RenderedEmail {
  const lines = Object.entries(data).map(([key, value]) => `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`);
  return { subject: subject ?? DEFAULT_SUBJECTS[template], text: lines.join('\n') };
}
