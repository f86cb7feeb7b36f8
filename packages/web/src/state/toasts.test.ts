// Protects the toast queue: de-duplication, the on-screen limit and expiry.
import { describe, expect, it } from 'vitest';
import {
  dismissToast,
  emptyToasts,
  expireToasts,
  pushToast,
  TOAST_LIFETIME_MS,
  TOAST_LIMIT,
  toastMessageParams,
} from './toasts';

describe('toasts', () => {
  it('the same payment announced twice shows one toast', () => {
    let s = pushToast(
      emptyToasts,
      { key: 'tx:1', kind: 'success', message: 'toastPayment', params: { amountKes: 1 } },
      0,
    );
    s = pushToast(s, { key: 'tx:1', kind: 'success', message: 'toastCredited' }, 10);
    expect(s.toasts.map((t) => t.message)).toEqual(['toastPayment']);
  });

  it('shows at most a few toasts, newest kept', () => {
    let s = emptyToasts;
    for (let i = 0; i < TOAST_LIMIT + 2; i++)
      s = pushToast(
        s,
        { key: `k${i}`, kind: 'info', message: 'toastNoCredit', params: { meterNo: `t${i}` } },
        0,
      );
    expect(s.toasts).toHaveLength(TOAST_LIMIT);
    expect(s.toasts.at(-1)?.params.meterNo).toBe(`t${TOAST_LIMIT + 1}`);
  });

  it('toasts expire after their lifetime and can be dismissed early', () => {
    let s = pushToast(emptyToasts, { key: 'a', kind: 'info', message: 'toastNoCredit' }, 0);
    s = pushToast(s, { key: 'b', kind: 'info', message: 'toastNoCredit' }, 1000);
    expect(expireToasts(s, TOAST_LIFETIME_MS).toasts.map((t) => t.key)).toEqual(['b']);
    expect(expireToasts(s, 10)).toBe(s);
    const first = s.toasts[0];
    expect(first).toBeDefined();
    expect(dismissToast(s, first!.id).toasts.map((t) => t.key)).toEqual(['b']);
  });

  it('a toast can replace the ones it supersedes', () => {
    let s = pushToast(emptyToasts, { key: 'low:M1:1', kind: 'warning', message: 'toastLowBalance' }, 0);
    s = pushToast(s, { key: 'low:M2:1', kind: 'warning', message: 'toastLowBalance' }, 0);
    s = pushToast(
      s,
      { key: 'empty:M1:2', kind: 'warning', message: 'toastNoCredit', supersedes: 'low:M1:' },
      0,
    );
    expect(s.toasts.map((t) => t.key)).toEqual(['low:M2:1', 'empty:M1:2']);
  });

  it('formats quantities in the language on screen', () => {
    expect(toastMessageParams('en', { energyKwh: 5, amountKes: 100, meterNo: 'M1' })).toEqual({
      energy: '5.00 kWh',
      amount: 'KSh 100.00',
      meterNo: 'M1',
    });
  });
});
