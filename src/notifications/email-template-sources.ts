import type { EmailTemplate } from '../job-definitions/payloads/communication.payloads';

/**
 * Handlebars sources. HTML parts use `{{ }}` only, so every value is escaped; `{{{ }}}` is for
 * the layout's `content`, which is HTML this service rendered itself. Text parts are compiled
 * without escaping (they are not HTML).
 */
export interface TemplateSource {
  /** One line; any line break a value brings is folded into a space. */
  subject: string;
  html: string;
  text: string;
}

export const LAYOUT = {
  html: `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{{subject}}</title></head>
<body style="margin:0;padding:0;background:#f4f4f7;font-family:Arial,Helvetica,sans-serif;color:#1f2933">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0"><tr><td align="center" style="padding:24px">
<table role="presentation" width="600" cellpadding="0" cellspacing="0" style="background:#ffffff;border-radius:8px">
<tr><td data-part="content" style="padding:32px 32px 16px;font-size:15px;line-height:1.5">{{{content}}}</td></tr>
<tr><td data-part="footer" style="padding:16px 32px 32px;font-size:12px;color:#7b8794">{{footer}}</td></tr>
</table>
</td></tr></table>
</body>
</html>
`,
  text: `{{{content}}}

--
{{{footer}}}
`,
  footer: 'You receive this e-mail because of a ticket order or an account on our ticketing platform. Please do not reply to this message.',
};

const detailsHtml = `{{#if fields.length}}<table role="presentation" cellpadding="4" cellspacing="0" style="margin-top:16px;font-size:13px">
{{#each fields}}<tr><td style="color:#7b8794">{{name}}</td><td>{{display value}}</td></tr>
{{/each}}</table>{{/if}}`;
const detailsText = `{{#each fields}}
{{name}}: {{display value}}{{/each}}`;

export const TEMPLATE_SOURCES: Record<EmailTemplate, TemplateSource> = {
  'payment-confirmation': {
    subject: 'Payment received{{#if orderId}} for order {{orderId}}{{/if}}',
    html: `<h1 style="font-size:20px">Thank you for your payment</h1>
<p>We received your payment{{#if amount}} of <strong>{{money amount currency}}</strong>{{/if}}{{#if orderId}} for order <strong>{{orderId}}</strong>{{/if}}.</p>
{{#if paymentIntentId}}<p style="color:#7b8794">Reference: {{paymentIntentId}}</p>{{/if}}`,
    text: `Thank you for your payment

We received your payment{{#if amount}} of {{money amount currency}}{{/if}}{{#if orderId}} for order {{orderId}}{{/if}}.{{#if paymentIntentId}}
Reference: {{paymentIntentId}}{{/if}}`,
  },
  'refund-confirmation': {
    subject: 'Your refund{{#if orderId}} for order {{orderId}}{{/if}} is on its way',
    html: `<h1 style="font-size:20px">Your refund is on its way</h1>
<p>We refunded {{#if amount}}<strong>{{money amount currency}}</strong>{{else}}your payment{{/if}}{{#if orderId}} for order <strong>{{orderId}}</strong>{{/if}}. Depending on your bank it can take 5 to 10 days to appear.</p>
{{#if refundId}}<p style="color:#7b8794">Reference: {{refundId}}</p>{{/if}}`,
    text: `Your refund is on its way

We refunded {{#if amount}}{{money amount currency}}{{else}}your payment{{/if}}{{#if orderId}} for order {{orderId}}{{/if}}. Depending on your bank it can take 5 to 10 days to appear.{{#if refundId}}
Reference: {{refundId}}{{/if}}`,
  },
  'nft-minted': {
    subject: 'Your ticket{{#if name}} {{name}}{{/if}} has been minted',
    html: `<h1 style="font-size:20px">Your ticket has been minted</h1>
<p>{{#if name}}<strong>{{name}}</strong>{{else}}Your ticket{{/if}}{{#if ticketId}} ({{ticketId}}){{/if}} is now on the blockchain{{#if recipientWallet}}, in wallet <code>{{recipientWallet}}</code>{{/if}}.</p>
{{#if mintAddress}}<p style="color:#7b8794">Mint address: <code>{{mintAddress}}</code></p>{{/if}}`,
    text: `Your ticket has been minted

{{#if name}}{{name}}{{else}}Your ticket{{/if}}{{#if ticketId}} ({{ticketId}}){{/if}} is now on the blockchain{{#if recipientWallet}}, in wallet {{recipientWallet}}{{/if}}.{{#if mintAddress}}
Mint address: {{mintAddress}}{{/if}}`,
  },
  'admin-alert': {
    subject: 'Queue service alert{{#if severity}} ({{severity}}){{/if}}{{#if title}}: {{title}}{{/if}}',
    html: `<h1 style="font-size:20px">{{#if title}}{{title}}{{else}}Queue service alert{{/if}}</h1>
{{#if severity}}<p><strong>Severity:</strong> {{severity}}</p>{{/if}}
{{#if message}}<p>{{message}}</p>{{/if}}
${detailsHtml}`,
    text: `{{#if title}}{{title}}{{else}}Queue service alert{{/if}}
{{#if severity}}
Severity: {{severity}}{{/if}}{{#if message}}

{{message}}{{/if}}
${detailsText}`,
  },
  generic: {
    subject: '{{#if heading}}{{heading}}{{else}}A message from your venue{{/if}}',
    html: `{{#if heading}}<h1 style="font-size:20px">{{heading}}</h1>{{/if}}
{{#if message}}<p>{{message}}</p>{{/if}}
${detailsHtml}`,
    text: `{{#if heading}}{{heading}}

{{/if}}{{#if message}}{{message}}
{{/if}}${detailsText}`,
  },
};

/** Data keys a template shows in its own sentences; the rest are listed as name and value. */
export const LISTED_EXCEPT: Partial<Record<EmailTemplate, string[]>> = {
  'admin-alert': ['title', 'severity', 'message'],
  generic: ['heading', 'message'],
};

/** The subject+body form: the body's paragraphs in the layout. */
export const BODY_SOURCE = {
  html: '{{paragraphs body}}',
  text: '{{body}}',
};
