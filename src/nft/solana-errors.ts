import { JobError, PermanentJobError, TransientJobError } from '../job-definitions/job-errors';

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT']);

/** Everything an error and its causes say (web3.js and Metaplex wrap each other's errors), logs included. */
function collect(error: unknown): { text: string; codes: string[]; names: string[] } {
  const texts: string[] = [];
  const codes: string[] = [];
  const names: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current && depth < 6; depth += 1) {
    const value = current as { message?: unknown; code?: unknown; name?: unknown; logs?: unknown; cause?: unknown };
    if (typeof value.message === 'string') texts.push(value.message);
    if (typeof value.code === 'string') codes.push(value.code);
    if (typeof value.name === 'string') names.push(value.name);
    if (Array.isArray(value.logs)) texts.push(...value.logs.filter((line): line is string => typeof line === 'string'));
    current = value.cause;
  }
  return { text: texts.join('\n'), codes, names };
}

/** Is the payer short of lamports (the RPC's preflight says so in one of three ways)? */
export function isInsufficientFunds(error: unknown): boolean {
  return /insufficient lamports|InsufficientFundsForFee|no record of a prior credit|insufficient funds for fee/i.test(collect(error).text);
}

/**
 * A Solana or Metaplex failure as a job error. Expiry, timeouts, 429, 5xx and the network are
 * transient; an empty payer, or an instruction the programs refused, is permanent. Messages
 * keep no URL: an RPC endpoint's URL may carry an API key.
 */
export function toSolanaJobError(error: unknown): JobError {
  if (error instanceof JobError) return error;
  const { text, codes, names } = collect(error);
  const summary = withoutUrls(text.split('\n').find((line) => line.trim() && !/Please check the underlying error/.test(line)) ?? 'Solana call failed');
  if (isInsufficientFunds(error)) {
    return new PermanentJobError('insufficient_funds', 'The payer wallet has too few lamports for the transaction');
  }
  if (/block height exceeded|Blockhash not found|BlockheightExceeded/i.test(text) || names.includes('TransactionExpiredBlockheightExceededError')) {
    return new TransientJobError('blockhash_expired', 'The transaction\'s blockhash expired before it was confirmed');
  }
  if (/\b429\b|Too Many Requests/i.test(text)) return new TransientJobError('rate_limited', 'The Solana RPC answered 429 Too Many Requests');
  const status = /(?:^|\n)(5\d\d) /.exec(text) ?? /server responded with (5\d\d)/i.exec(text);
  if (status) return new TransientJobError('rpc_unavailable', `The Solana RPC answered ${status[1]}`);
  if (names.some((name) => /Timeout|TimeoutError|AbortError/.test(name)) || /timed out|timeout/i.test(text)) {
    return new TransientJobError('solana_timeout', 'The Solana RPC did not answer in time');
  }
  if (codes.some((code) => NETWORK_CODES.has(code)) || /fetch failed|socket hang up|ECONNRESET|ECONNREFUSED/i.test(text)) {
    return new TransientJobError('network_error', 'The Solana RPC could not be reached');
  }
  if (/already been processed/i.test(text)) return new TransientJobError('already_processed', summary);
  if (/Transaction simulation failed|custom program error|Error processing Instruction/i.test(text)) {
    return new PermanentJobError('transaction_rejected', summary);
  }
  return new TransientJobError('solana_error', summary);
}

function withoutUrls(text: string): string {
  return text.replace(/\b(?:https?|wss?):\/\/\S+/gi, '<url>').slice(0, 300);
}
