import type { PaymentFailpoints, PaymentsDeps } from './payments.intents';
import type { StkVerifier } from './stk-verification';

/**
 * What every payment stage (push, callback receipt, settlement, reconciliation) is built from:
 * the payments' dependencies, plus the parts the stages share, made once by PaymentsService.
 * A stage that hands work to settlement also takes the Settlement itself.
 */
export interface PaymentStageDeps extends PaymentsDeps {
  /** failpoints for crash tests (PAY-5); empty in production */
  failpoints: PaymentFailpoints;
  /** STK Query verdicts, shared so a callback's early query is the one its settlement uses */
  verifier: StkVerifier;
}
