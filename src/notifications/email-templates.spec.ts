import { EMAIL_TEMPLATES } from '../job-definitions/payloads/communication.payloads';
import { formatMoney, renderEmail, singleLine } from './email-templates';

describe('e-mail templates', () => {
  it.each(EMAIL_TEMPLATES)('%s renders a subject and both parts in the layout, even without data', (template) => {
    const rendered = renderEmail({ template, data: {} });
    expect(rendered.subject.length).toBeGreaterThan(0);
    expect(rendered.html).toMatch(/^<!DOCTYPE html>/);
    for (const part of [rendered.html, rendered.text]) expect(part).toContain('Please do not reply to this message.');
  });

  it('escapes values in HTML (also in listed fields and the title), never in text', () => {
    const evil = '<img src=x onerror=alert(1)>';
    const rendered = renderEmail({ template: 'admin-alert', data: { title: evil, extra: evil, nested: { evil } } });
    expect(rendered.html).not.toContain('<img');
    expect(rendered.html).toContain('&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;');
    expect(rendered.text).toContain(evil);
  });

  it('keeps subjects on one line, from data or given', () => {
    expect(renderEmail({ template: 'payment-confirmation', data: { orderId: 'a\r\nBcc: b@c.example' } }).subject).toBe('Payment received for order a Bcc: b@c.example');
    expect(renderEmail({ template: 'generic', data: {}, subject: 'x\ny' }).subject).toBe('x y');
    expect(singleLine('a'.repeat(400))).toHaveLength(250);
  });

  it('renders the body form as escaped paragraphs', () => {
    const rendered = renderEmail({ subject: 'Hi', body: 'a <b>\n\nc\nd' });
    expect(rendered.html).toContain('<p>a &lt;b&gt;</p>\n<p>c<br>d</p>');
    expect(rendered.text).toContain('a <b>\n\nc\nd');
  });

  it('formats minor units by the currency', () => {
    expect(formatMoney(2500, 'usd')).toBe('$25.00');
    expect(formatMoney(2500, 'jpy')).toBe('¥2,500');
    expect(formatMoney(2500, 'not-a-currency')).toBe('2500 not-a-currency');
  });
});
