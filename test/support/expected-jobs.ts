import type { ClientJobType } from '../../src/job-definitions/job-types';

/** What clients are promised, written out here rather than read from the registry under test. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const QUEUE_OF: Record<ClientJobType, string> = {
  'payment-process': 'money',
  'refund-process': 'money',
  'nft-mint': 'money',
  'nft-transfer': 'money',
  'email-send': 'communication',
  'sms-send': 'communication',
  'analytics-process': 'background',
  cleanup: 'background',
  'scheduled-task': 'background',
};
