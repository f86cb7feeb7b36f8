/** The error catalogue: stable codes, HTTP status and a message safe to show. */
export const errorCatalogue = {
  BAD_REQUEST: { status: 400, message: 'The request is not valid.' },
  UNAUTHENTICATED: { status: 401, message: 'Sign in first.' },
  INVALID_CREDENTIALS: { status: 401, message: 'Wrong email or password.' },
  WEAK_PASSWORD: { status: 400, message: 'Choose a less common password.' },
  FORBIDDEN: { status: 403, message: 'You may not do that.' },
  REGISTRATION_CLOSED: {
    status: 403,
    message: 'You cannot create an account here yet. Ask the operator to create one for you.',
  },
  INVALID_CODE: {
    status: 400,
    message: 'That code is not right or has expired. Check the message, or register again for a new code.',
  },
  ACCOUNT_DISABLED: {
    status: 403,
    message: 'This account is disabled. Ask the operator to enable it again.',
  },
  CURRENT_PASSWORD_WRONG: { status: 403, message: 'Your current password is not right.' },
  CANNOT_DISABLE_SELF: { status: 409, message: 'You cannot disable your own account.' },
  CANNOT_CHANGE_OWN_ROLE: { status: 409, message: 'You cannot change your own role; ask another admin.' },
  LAST_ADMIN: { status: 409, message: 'This is the last enabled admin; make another admin first.' },
  PASSWORD_CHANGE_REQUIRED: {
    status: 403,
    message: 'Your password was reset by an operator: choose a new one before you go on.',
  },
  NOT_FOUND: { status: 404, message: 'Not found.' },
  METER_NOT_FOUND: { status: 404, message: 'Meter not found.' },
  USER_NOT_FOUND: { status: 404, message: 'User not found.' },
  METER_EXISTS: { status: 409, message: 'A meter with that number is already registered.' },
  EMAIL_TAKEN: { status: 409, message: 'That email is already registered.' },
  PAYMENT_DUPLICATE: { status: 409, message: 'That payment was already recorded.' },
  IDEMPOTENCY_CONFLICT: { status: 409, message: 'That Idempotency-Key was used with a different request.' },
  PAYMENT_NOT_FOUND: { status: 404, message: 'Payment not found.' },
  PAYMENT_IN_PROGRESS: {
    status: 409,
    message: 'A request with that Idempotency-Key is still being processed; try again shortly.',
  },
  PAYMENT_REJECTED: { status: 400, message: 'M-Pesa refused the payment request.' },
  PAYMENT_AMOUNT_TOO_LARGE: { status: 400, message: 'That amount is above the most one payment may be.' },
  PAYMENT_PROMPT_PENDING: {
    status: 409,
    message:
      'A payment prompt is already waiting on this phone; answer or cancel it first, or try again in a minute.',
  },
  PAYMENT_PROVIDER_ERROR: {
    status: 502,
    message: 'M-Pesa could not take the payment request right now; please try again shortly.',
  },
  TRANSACTION_NOT_FOUND: { status: 404, message: 'Transaction not found.' },
  ORPHAN_NOT_FOUND: { status: 404, message: 'Orphan callback not found.' },
  ORPHAN_ALREADY_RESOLVED: { status: 409, message: 'That orphan callback was already resolved.' },
  ORPHAN_NOT_CREDITABLE: {
    status: 409,
    message: 'That callback reports no completed payment (no receipt or amount); it can only be dismissed.',
  },
  TOPUP_NOT_FOUND: { status: 404, message: 'Top-up request not found.' },
  TOPUP_ALREADY_PROCESSED: { status: 409, message: 'That top-up request was already processed.' },
  EMERGENCY_REASON_REQUIRED: {
    status: 400,
    message: 'An operator granting an emergency advance must say why (reason).',
  },
  EMERGENCY_NOT_AVAILABLE: {
    status: 409,
    message: 'Emergency credit is available once, at zero balance, while no advance is owed.',
  },
  TRANSACTION_NOT_MOVABLE: {
    status: 409,
    message: 'That transaction cannot be moved (already moved, or not a payment).',
  },
  TARIFF_NOT_FOUND: { status: 404, message: 'Tariff version not found.' },
  TARIFF_INVALID: { status: 400, message: 'That tariff cannot be used as written.' },
  TARIFF_RETROACTIVE: {
    status: 400,
    message: 'A tariff version takes effect now or later, never in the past.',
  },
  TARIFF_SAME_TIME: { status: 409, message: 'Another tariff version takes effect at that same time.' },
  TARIFF_NOT_CANCELLABLE: {
    status: 409,
    message: 'Only a version that has not taken effect (and is not about to) can be cancelled.',
  },
  REGISTER_HOLD_NOT_FOUND: { status: 404, message: 'Held register jump not found.' },
  REGISTER_HOLD_RESOLVED: { status: 409, message: 'That held register jump was already decided.' },
  REGISTER_HOLD_ACTION_UNFIT: {
    status: 409,
    message: 'That decision does not fit what the meter reports now.',
  },
  PUSH_ENDPOINT_NOT_ALLOWED: {
    status: 400,
    message: 'That push endpoint is not on a push service this server sends to.',
  },
  PUSH_SUBSCRIPTION_NOT_FOUND: { status: 404, message: 'No such push subscription for this account.' },
  PUSH_UNAVAILABLE: { status: 503, message: 'Push notifications are not set up on this server.' },
  CLAIM_REJECTED: {
    status: 400,
    message:
      'No meter you can add matches that account number and claim code. Check both on the label, or ask the operator for a new code.',
  },
  CLAIM_LIMITED: { status: 429, message: 'Too many wrong claim codes; try again later.' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The request body is too large.' },
  RATE_LIMITED: { status: 429, message: 'Too many requests; try again shortly.' },
  LOGIN_BACKOFF: { status: 429, message: 'Too many wrong passwords for this account; try again shortly.' },
  UNAVAILABLE: { status: 503, message: 'A dependency is unavailable.' },
  INTERNAL: { status: 500, message: 'Something went wrong on our side.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof errorCatalogue;

export class AppError extends Error {
  readonly status: number;
  /** seconds the client should wait (429): sent as `retryAfter` and the Retry-After header */
  readonly retryAfterS: number | undefined;
  constructor(
    readonly code: ErrorCode,
    message?: string,
    opts: { retryAfterS?: number } = {},
  ) {
    super(message ?? errorCatalogue[code].message);
    this.status = errorCatalogue[code].status;
    this.retryAfterS = opts.retryAfterS;
  }
}
