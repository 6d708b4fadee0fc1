import { STATUS_CODES } from 'node:http';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** The page a browser gets at /admin/queues without a session (401) or without the admin role (403). */
export function refusalPage(status: number, message: string): string {
  const title = `${status} ${STATUS_CODES[status] ?? 'Error'}`;
  const escape = (text: string) => text.replace(/[&<>"']/g, (character) => ESCAPES[character]);
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex">',
    `<title>Queue dashboard: ${escape(title)}</title></head>`,
    '<body style="font-family: sans-serif; margin: 3rem">',
    `<h1>${escape(title)}</h1>`,
    `<p id="reason">${escape(message)}</p>`,
    '<p>See the README, section “Queue dashboard”, for how to open a session.</p>',
    '</body></html>',
  ].join('\n');
}
