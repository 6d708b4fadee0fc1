import { payerBalanceCondition } from './payer-balance-source';

describe('payerBalanceCondition', () => {
  const balance = { payer: 'PayerPublicKey111', floorLamports: 100_000_000, oneMintLamports: 12_000_000 };

  it('fires nothing at or above the floor', () => {
    expect(payerBalanceCondition({ ...balance, lamports: 100_000_000 })).toBeNull();
  });

  it('warns below the floor, with the payer, the balance and the thresholds', () => {
    expect(payerBalanceCondition({ ...balance, lamports: 50_000_000 })).toMatchObject({
      key: 'solana_payer_balance', tenantId: null, severity: 'warning', kind: 'monitoring.solana_payer_balance',
      details: { payer: 'PayerPublicKey111', lamports: 50_000_000, floorLamports: 100_000_000, oneMintLamports: 12_000_000 },
    });
  });

  it('is critical below the cost of one mint', () => {
    expect(payerBalanceCondition({ ...balance, lamports: 11_999_999 })?.severity).toBe('critical');
  });
});
