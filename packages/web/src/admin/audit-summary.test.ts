// Protects the audit view's one-line summary of a top-up decision: meter, amount and the operator's notes.
import { describe, expect, it } from 'vitest';
import { auditSummary } from './audit-summary';

describe('auditSummary', () => {
  it('a rejected top-up reads as its meter, amount and reason', () => {
    const line = auditSummary({
      meterNo: 'M-1',
      amountCents: 12_000,
      notes: 'no deposit',
      transactionId: null,
    });
    expect(line).toContain('M-1');
    expect(line).toContain('120.00');
    expect(line).toContain('“no deposit”');
  });

  it('an approval without notes still names the meter and the amount', () => {
    expect(auditSummary({ meterNo: 'M-2', amountCents: 25_000, notes: '', transactionId: 'tx' })).toBe(
      'M-2 · KES 250.00',
    );
  });
});
