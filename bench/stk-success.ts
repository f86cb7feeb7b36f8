import type { EmulatedStkTransaction, StkCallbackBody } from '@umeme/daraja';

/**
 * The success callback M-Pesa would send for a prompt the Daraja emulator holds (the benches'
 * emulators send none themselves, so each callback's moment is theirs to choose).
 */
export function successCallbackFor(tx: EmulatedStkTransaction, amountKes: number): StkCallbackBody {
  return {
    Body: {
      stkCallback: {
        MerchantRequestID: tx.merchantRequestId,
        CheckoutRequestID: tx.checkoutRequestId,
        ResultCode: 0,
        ResultDesc: 'The service request is processed successfully.',
        CallbackMetadata: {
          Item: [
            { Name: 'Amount', Value: amountKes },
            { Name: 'MpesaReceiptNumber', Value: tx.mpesaReceiptNumber! },
            { Name: 'Balance' },
            { Name: 'TransactionDate', Value: Number(tx.transactionDate) },
            { Name: 'PhoneNumber', Value: Number(tx.phoneNumber) },
          ],
        },
      },
    },
  };
}
