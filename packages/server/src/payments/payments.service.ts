import type { StkCallback } from '@umeme/daraja';
import type { Caller } from '../shared/access';
import { CallbackReceipt } from './callback-receipt';
import { IntentReconciliation } from './intent-reconciliation';
import type { PaymentStageDeps } from './payment-stage';
import type {
  CallbackOutcome,
  ClaimedIntent,
  PaymentFailpoints,
  PaymentsDeps,
  QueryResolution,
  StkPushAnswer,
} from './payments.intents';
import type { IntentResponse, StkPushBody } from './payments.schema';
import { Settlement } from './settlement';
import { StkPushes } from './stk-push';
import { StkVerifier } from './stk-verification';

export type {
  CallbackOutcome,
  ClaimedIntent,
  PaymentFailpoints,
  PaymentsConfig,
  PaymentsDeps,
  QueryResolution,
  StkPushAnswer,
  StkPushStatus,
} from './payments.intents';

/**
 * M-Pesa Express payments (docs/design.md §7), by stage: the intent and its push
 * (stk-push.ts), the callback as received (callback-receipt.ts), its settlement, one by one or
 * in group commit (settlement.ts), and reconciliation of what nobody settled
 * (intent-reconciliation.ts), over the intent's types and SQL (payments.intents.ts). The intent
 * row is the guard of each payment: every path that settles one locks it first, so callbacks,
 * their duplicates and reconciliation cannot credit it twice; the credit's `externalRef` is a
 * second, independent guard. This class only puts the stages together for the routes.
 */
export class PaymentsService {
  /** Failpoints for crash tests (PAY-5); empty in production. */
  readonly failpoints: PaymentFailpoints = {};
  private readonly pushes: StkPushes;
  private readonly receipt: CallbackReceipt;
  private readonly settlement: Settlement;
  private readonly reconciliation: IntentReconciliation;

  constructor(deps: PaymentsDeps) {
    const stage: PaymentStageDeps = { ...deps, failpoints: this.failpoints, verifier: new StkVerifier(deps) };
    this.settlement = new Settlement(stage);
    this.pushes = new StkPushes(stage, this.settlement);
    this.receipt = new CallbackReceipt(stage, this.settlement);
    this.reconciliation = new IntentReconciliation(stage, this.settlement);
  }

  requestStkPush(caller: Caller, body: StkPushBody, idempotencyKey?: string): Promise<StkPushAnswer> {
    return this.pushes.requestStkPush(caller, body, idempotencyKey);
  }

  getIntent(caller: Caller, intentId: string): Promise<IntentResponse> {
    return this.pushes.getIntent(caller, intentId);
  }

  /** Persists the callback as received, then settles it. The caller answers only after this returns. */
  receiveStkCallback(
    rawBody: unknown,
    stkCallback: StkCallback,
    remoteAddress: string,
  ): Promise<CallbackOutcome> {
    return this.receipt.receiveStkCallback(rawBody, stkCallback, remoteAddress);
  }

  /** Settles one stored callback again (safe to repeat): see Settlement.settleStkCallback. */
  settleStkCallback(callbackId: string, cb: StkCallback): Promise<CallbackOutcome> {
    return this.settlement.settleStkCallback(callbackId, cb);
  }

  /** Reconciliation: callbacks persisted but never settled (a crash, or a deferred verification). */
  settleUnsettledCallbacks(olderThanS: number, limit: number): Promise<number> {
    return this.settlement.settleUnsettledCallbacks(olderThanS, limit);
  }

  markAbandonedPushes(olderThanS: number): Promise<number> {
    return this.reconciliation.markAbandonedPushes(olderThanS);
  }

  claimOverdueIntents(
    olderThanS: number,
    limit: number,
    leaseS: number,
    after: Pick<ClaimedIntent, 'createdUs' | 'id'> | null,
  ): Promise<ClaimedIntent[]> {
    return this.reconciliation.claimOverdueIntents(olderThanS, limit, leaseS, after);
  }

  resolveWithQuery(claimed: ClaimedIntent, expireAfterS: number): Promise<QueryResolution> {
    return this.reconciliation.resolveWithQuery(claimed, expireAfterS);
  }

  /** Stops grouping callbacks once the ones waiting are stored and settled (shutdown). */
  async close(): Promise<void> {
    // callbacks arriving once it is closed are stored and settled one by one
    await this.receipt.close();
    await this.settlement.close();
  }
}
