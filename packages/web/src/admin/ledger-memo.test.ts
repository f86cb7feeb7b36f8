// Protects the console's ledger memos in Kiswahili: the server's own fixed words are translated, the operator's reason is kept.
import { describe, expect, it } from 'vitest';
import { translateAdmin } from './admin-i18n';
import { ledgerMemoText } from './ledger-memo';

const sw = (key: Parameters<typeof translateAdmin>[1], params?: Record<string, string | number>) =>
  translateAdmin('sw', key, params);
const kes = (cents: number) => `KSh ${(cents / 100).toFixed(2)}`;

describe('ledger memos', () => {
  it('translates the memos the server writes and keeps what the operator wrote', () => {
    expect(ledgerMemoText('opening credit', sw, kes)).toBe('salio la mwanzo');
    expect(ledgerMemoText('moved to M-2: wrong meter', sw, kes)).toBe('yamehamishiwa M-2: wrong meter');
    expect(ledgerMemoText('moved from M-1 (transaction 42): typo', sw, kes)).toBe(
      'yamehamishwa kutoka M-1 (muamala 42): typo',
    );
    expect(ledgerMemoText('emergency advance, owed 4000 cents: customer called', sw, kes)).toBe(
      'umeme wa dharura, deni KSh 40.00: customer called',
    );
    expect(ledgerMemoText('emergency advance, owed 4000 cents', sw, kes)).toBe(
      'umeme wa dharura, deni KSh 40.00',
    );
    expect(ledgerMemoText('meter replaced after a storm', sw, kes)).toBe('meter replaced after a storm');
    expect(ledgerMemoText(null, sw, kes)).toBe('');
  });
});
