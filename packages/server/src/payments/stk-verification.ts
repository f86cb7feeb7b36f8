import { isStkQueryPending, readCallbackMetadata, type StkCallback } from '@umeme/daraja';
import { RecentSet } from '../shared/recent-set';
import { RECEIPT_PATTERN, RECENTLY_CREDITED_MAX, type PaymentsDeps, type Verdict } from './payments.intents';

/**
 * STK Query as a second opinion on success callbacks: one query per CheckoutRequestID at a
 * time, started as soon as a callback arrives, and none for a CheckoutRequestID this instance
 * credited a moment ago (a duplicate delivery).
 */
export class StkVerifier {
  private readonly verifications = new Map<string, Promise<Verdict>>();
  /** CheckoutRequestIDs credited lately (duplicates of them need no STK Query) */
  private readonly recentlyCredited = new RecentSet(RECENTLY_CREDITED_MAX);

  constructor(private readonly deps: Pick<PaymentsDeps, 'config' | 'daraja' | 'logger'>) {}

  /**
   * The STK Query a success callback will need, started now, or null when it will not need one
   * (verification off, a callback that is not a success or cannot be credited, or a
   * CheckoutRequestID this instance credited a moment ago, i.e. a duplicate delivery).
   */
  verifyEarly(cb: StkCallback): Promise<Verdict> | null {
    if (!this.deps.config.verifyWithQuery || cb.ResultCode !== 0) return null;
    if (this.recentlyCredited.has(cb.CheckoutRequestID)) return null;
    const meta = readCallbackMetadata(cb.CallbackMetadata?.Item);
    if (meta.amountCents === undefined || meta.mpesaReceiptNumber === undefined) return null;
    if (!RECEIPT_PATTERN.test(meta.mpesaReceiptNumber)) return null;
    return this.verify(cb.CheckoutRequestID);
  }

  /** Remembers a CheckoutRequestID as credited, so duplicates of it send no STK Query. */
  rememberCredited(checkoutRequestId: string): void {
    this.recentlyCredited.add(checkoutRequestId);
  }

  /** One STK Query per CheckoutRequestID at a time: a burst of duplicates shares it. */
  verify(checkoutRequestId: string): Promise<Verdict> {
    let pending = this.verifications.get(checkoutRequestId);
    if (!pending) {
      pending = this.queryVerdict(checkoutRequestId).finally(() =>
        this.verifications.delete(checkoutRequestId),
      );
      this.verifications.set(checkoutRequestId, pending);
    }
    return pending;
  }

  private async queryVerdict(checkoutRequestId: string): Promise<Verdict> {
    try {
      const answer = await this.deps.daraja.stkQuery(checkoutRequestId);
      return answer.ResultCode === '0'
        ? { kind: 'confirmed' }
        : { kind: 'refused', resultCode: answer.ResultCode };
    } catch (err) {
      if (!isStkQueryPending(err)) {
        this.deps.logger.warn(
          { checkoutRequestId, err: err instanceof Error ? err.message : String(err) },
          'STK Query could not confirm a success callback',
        );
      }
      return { kind: 'unknown' };
    }
  }
}
