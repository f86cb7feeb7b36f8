// Protects the payment panel's rules: amounts within the server's limits, the kWh estimate, idempotency keys.
import { describe, expect, it } from 'vitest';
import { failureMessageKey, intentOutcome, newIdempotencyKey, parseAmountKes } from './payment';

describe('payment panel rules', () => {
  it('accepts whole shillings within the STK push limits only', () => {
    expect(parseAmountKes(' 150 ')).toBe(150);
    expect(parseAmountKes('10')).toBe(10);
    expect(parseAmountKes('9')).toBeNull();
    expect(parseAmountKes('250001')).toBeNull();
    expect(parseAmountKes('12.5')).toBeNull();
    expect(parseAmountKes('-50')).toBeNull();
    expect(parseAmountKes('')).toBeNull();
  });

  it('holds to the server’s own ceiling (STK_PUSH_MAX_KES) when it is lower than M-Pesa’s', () => {
    expect(parseAmountKes('10000', 10_000)).toBe(10_000);
    expect(parseAmountKes('10001', 10_000)).toBeNull();
    expect(parseAmountKes('250000', 300_000)).toBe(250_000);
    expect(parseAmountKes('250001', 300_000)).toBeNull();
  });

  it('makes a new UUID-shaped key each time, which the server pattern accepts', () => {
    const a = newIdempotencyKey();
    const b = newIdempotencyKey();
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a).toMatch(/^[A-Za-z0-9_.:-]{1,128}$/);
  });

  it('reads intent statuses as waiting, succeeded or failed', () => {
    expect(intentOutcome('pending')).toBe('waiting');
    expect(intentOutcome('unknown')).toBe('waiting');
    expect(intentOutcome('succeeded')).toBe('succeeded');
    expect(intentOutcome('failed')).toBe('failed');
    expect(intentOutcome('expired')).toBe('failed');
  });

  it('words the common M-Pesa result codes itself and leaves the rest to the server', () => {
    expect(failureMessageKey(1032)).toBe('payFailedCancelled');
    expect(failureMessageKey(2001)).toBe('payFailedPin');
    expect(failureMessageKey(4242)).toBe('payFailedUnknown');
    expect(failureMessageKey(null)).toBe('payFailedUnknown');
  });
});
