import { STATUS_CODES } from 'node:http';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * A browser cannot send a bearer header by itself: the 401 page asks for an admin token and
 * opens the session with it (POST /admin/queues/session), then loads the page again, now with
 * the cookie. The token is only sent in that header, never kept.
 */
const SESSION_FORM = [
  '<form id="session"><label>Admin token <input id="token" type="password" autocomplete="off" required></label>',
  '<button id="open" type="submit">Open the dashboard</button></form>',
  '<script>',
  "document.getElementById('session').addEventListener('submit', async (event) => {",
  '  event.preventDefault();',
  "  const token = document.getElementById('token').value.trim();",
  "  const response = await fetch('/admin/queues/session', { method: 'POST', headers: { Authorization: 'Bearer ' + token } });",
  '  if (response.ok) return location.reload();',
  '  const body = await response.json().catch(() => ({}));',
  "  document.getElementById('reason').textContent = response.status + ': ' + (body.message || 'refused');",
  '});',
  '</script>',
];

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
    ...(status === 401 ? SESSION_FORM : []),
    '<p>See the README, section “Queue dashboard”, for how to open a session.</p>',
    '</body></html>',
  ].join('\n');
}
