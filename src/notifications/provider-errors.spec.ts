import { providerKeyFor } from '../job-definitions/provider-key';
import { smtpError, stableMessageId } from './smtp-email.gateway';
import { twilioError } from './twilio-sms.gateway';

describe('SMTP errors', () => {
  it.each([
    [{ code: 'EENVELOPE', responseCode: 550, response: '550 5.1.1 no such user' }, 'smtp_rejected', true],
    [{ code: 'EAUTH', responseCode: 535 }, 'smtp_auth_failed', true],
    [{ code: 'EMESSAGE', responseCode: 451 }, 'smtp_unavailable', false],
    [{ code: 'EPROTOCOL', responseCode: 503 }, 'smtp_unavailable', false],
    [{ code: 'ECONNECTION' }, 'smtp_unreachable', false],
    [{ code: 'ETIMEDOUT' }, 'smtp_unreachable', false],
    [new Error('something else'), 'smtp_error', false],
  ])('%j is %s (permanent: %s)', (error, code, permanent) => {
    expect(smtpError(error)).toMatchObject({ code, permanent });
  });

  it('derives the same Message-ID from the same key, another from another', () => {
    const key = (tenantId: string) => providerKeyFor({ tenantId, jobId: 'job-1' }, 'email_sent');
    expect(stableMessageId(key('t'), 'venue.example')).toBe(stableMessageId(key('t'), 'venue.example'));
    expect(stableMessageId(key('t'), 'venue.example')).not.toBe(stableMessageId(key('u'), 'venue.example'));
  });
});

describe('Twilio errors', () => {
  it.each([
    [{ status: 400, code: 21211, message: 'invalid' }, 'sms_invalid_number', true],
    [{ status: 400, code: 21610, message: 'unsubscribed' }, 'sms_opted_out', true],
    [{ status: 400, code: 21614, message: 'not mobile' }, 'sms_not_mobile', true],
    [{ status: 400, code: 21999, message: 'other' }, 'sms_rejected', true],
    [{ status: 401, code: 20003, message: 'Authenticate' }, 'sms_auth_failed', true],
    [{ status: 429, code: 20429, message: 'Too Many Requests' }, 'rate_limited', false],
    [{ status: 503, message: 'down' }, 'provider_unavailable', false],
    [{ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED', config: { headers: { Authorization: 'Basic c2VjcmV0' } } }, 'sms_unreachable', false],
    [{ code: 'ECONNABORTED', message: 'timeout of 15000ms exceeded' }, 'sms_unreachable', false],
  ])('%j is %s (permanent: %s)', (error, code, permanent) => {
    const mapped = twilioError(error);
    expect(mapped).toMatchObject({ code, permanent });
    expect(mapped.message).not.toContain('c2VjcmV0');
  });
});
