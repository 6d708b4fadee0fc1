import { PermanentJobError } from '../job-definitions/job-errors';
import { toSolanaJobError } from './solana-errors';

const wrapped = (cause: object) => Object.assign(new Error('The transaction could not be sent successfully to the network. Please check the underlying error below for more details.'), { cause });

describe('Solana errors as job errors', () => {
  it.each([
    ['an expired blockhash while confirming', Object.assign(new Error('Signature x has expired: block height exceeded.'), { name: 'TransactionExpiredBlockheightExceededError' }), 'blockhash_expired'],
    ['a blockhash the RPC no longer knows', new Error('failed to send transaction: Transaction simulation failed: Blockhash not found'), 'blockhash_expired'],
    ['a 429', new Error('429 Too Many Requests: Too Many Requests'), 'rate_limited'],
    ['a 503', new Error('503 Service Unavailable: upstream down'), 'rpc_unavailable'],
    ['an aborted RPC call', Object.assign(new Error('RPC request failed: The operation was aborted due to timeout'), { name: 'TimeoutError' }), 'solana_timeout'],
    ['a dropped connection under Metaplex\'s wrapper', wrapped(Object.assign(new Error('RPC request failed: fetch failed'), { code: 'UND_ERR_SOCKET' })), 'network_error'],
  ])('%s is transient', (_what, error, type) => {
    const jobError = toSolanaJobError(error);
    expect({ code: jobError.code, permanent: jobError.permanent }).toEqual({ code: type, permanent: false });
  });

  it.each([
    ['a payer that cannot pay the rent', wrapped(Object.assign(new Error('Transaction simulation failed: Error processing Instruction 0: custom program error: 0x1'), { logs: ['Transfer: insufficient lamports 100, need 1461600'] }))],
    ['a payer that cannot pay the fee', new Error('failed to send transaction: Transaction simulation failed: Attempt to debit an account but found no record of a prior credit.')],
  ])('%s is insufficient_funds, permanent', (_what, error) => {
    expect(toSolanaJobError(error)).toMatchObject({ code: 'insufficient_funds', permanent: true });
  });

  it('an instruction the program refused is permanent, and its message keeps no URL', () => {
    const error = toSolanaJobError(new Error('Transaction simulation failed: Error processing Instruction 0: custom program error: 0x0 at https://rpc.example/?api-key=secret'));
    expect(error).toBeInstanceOf(PermanentJobError);
    expect(error.code).toBe('transaction_rejected');
    expect(error.message).not.toContain('api-key');
  });

  it('an unknown failure is retried, with URLs removed from its message', () => {
    const error = toSolanaJobError(new Error('request to https://rpc.example/?api-key=secret failed oddly'));
    expect({ code: error.code, permanent: error.permanent }).toEqual({ code: 'solana_error', permanent: false });
    expect(error.message).toBe('request to <url> failed oddly');
  });
});
