import Handlebars from 'handlebars';
import type { EmailTemplate } from '../job-definitions/payloads/communication.payloads';
import { BODY_SOURCE, LAYOUT, LISTED_EXCEPT, TEMPLATE_SOURCES } from './email-template-sources';

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

/** What an `email-send` job asks for: a template and its data, or a subject and a body. */
export type EmailContent =
  | { template: EmailTemplate; data: Record<string, unknown>; subject?: string }
  | { body: string; subject: string };

const MAX_SUBJECT_LENGTH = 250;

/** A value as text: strings as they are, anything else as JSON. */
function display(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);
}

/** Minor units (Stripe's amounts) as money: 2500 usd is $25.00, 2500 jpy is ¥2,500. */
export function formatMoney(amount: unknown, currency: unknown): string {
  if (typeof amount !== 'number') return display(amount);
  if (typeof currency !== 'string') return String(amount);
  try {
    const format = new Intl.NumberFormat('en', { style: 'currency', currency: currency.toUpperCase() });
    return format.format(amount / 10 ** (format.resolvedOptions().maximumFractionDigits ?? 2));
  } catch {
    return `${amount} ${currency}`;
  }
}

/** A header value of one line: line breaks and other control characters become spaces. */
export function singleLine(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/\s+/g, ' ').trim().slice(0, MAX_SUBJECT_LENGTH);
}

function engine(): typeof Handlebars {
  const instance = Handlebars.create();
  const helpers: Record<string, Handlebars.HelperDelegate> = {
    money: (amount: unknown, currency: unknown) => formatMoney(amount, currency),
    display: (value: unknown) => display(value),
    // Escaped piece by piece, then joined with markup of our own: the only SafeString built from input.
    paragraphs: (body: unknown) =>
      new Handlebars.SafeString(
        display(body)
          .split(/\r?\n\s*\r?\n/)
          .map((paragraph) => `<p>${paragraph.split(/\r?\n/).map((line) => Handlebars.escapeExpression(line)).join('<br>')}</p>`)
          .join('\n'),
      ),
  };
  for (const [name, helper] of Object.entries(helpers)) instance.registerHelper(name, helper);
  return instance;
}

// One instance of our own: helpers registered here reach no other Handlebars user in the process.
const handlebars = engine();

type Compiled = Handlebars.TemplateDelegate;
const compileHtml = (source: string): Compiled => handlebars.compile(source, { strict: false });
const compileText = (source: string): Compiled => handlebars.compile(source, { noEscape: true, strict: false });

interface CompiledTemplate {
  subject?: Compiled;
  html: Compiled;
  text: Compiled;
}

const LAYOUT_HTML = compileHtml(LAYOUT.html);
const LAYOUT_TEXT = compileText(LAYOUT.text);
const TEMPLATES = Object.fromEntries(
  Object.entries(TEMPLATE_SOURCES).map(([name, source]) => [
    name,
    { subject: compileText(source.subject), html: compileHtml(source.html), text: compileText(source.text) },
  ]),
) as Record<EmailTemplate, CompiledTemplate>;
const BODY: CompiledTemplate = { html: compileHtml(BODY_SOURCE.html), text: compileText(BODY_SOURCE.text) };

// Handlebars' default (since 4.6) refuses prototype properties; said again so no refactor loses it.
const RUNTIME: Handlebars.RuntimeOptions = { allowProtoPropertiesByDefault: false, allowProtoMethodsByDefault: false };

function contextOf(template: EmailTemplate, data: Record<string, unknown>): Record<string, unknown> {
  const except = LISTED_EXCEPT[template];
  if (!except) return data;
  const fields = Object.entries(data)
    .filter(([name]) => !except.includes(name))
    .map(([name, value]) => ({ name, value }));
  return { ...data, fields };
}

/** The subject, HTML and plain-text parts of one e-mail, both parts in the shared layout. */
export function renderEmail(content: EmailContent): RenderedEmail {
  const [compiled, context] =
    'body' in content ? [BODY, { body: content.body }] : [TEMPLATES[content.template], contextOf(content.template, content.data)];
  const subject = singleLine(content.subject ?? compiled.subject?.(context, RUNTIME) ?? '');
  return {
    subject,
    html: LAYOUT_HTML({ subject, content: compiled.html(context, RUNTIME), footer: LAYOUT.footer }, RUNTIME),
    text: LAYOUT_TEXT({ content: compiled.text(context, RUNTIME).trim(), footer: LAYOUT.footer }, RUNTIME),
  };
}
