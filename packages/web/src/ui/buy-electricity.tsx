import { mwhToKwh } from '@umeme/protocol';
import { useEffect, useRef, useState } from 'react';
import type { PaymentIntent, PublicConfig } from '../api/api-types';
import { loadPublicConfig } from '../api/public-config';
import { ApiError } from '../api/http-client';
import { errorText } from '../i18n/error-text';
import type { LiveSession } from '../live/live-session';
import { formatDuration, formatKes, formatKwh, formatNumber, normalizeKenyanPhone } from '../state/format';
import { maskPhone } from '@umeme/protocol';
import {
  failureMessageKey,
  INTENT_POLL_MS,
  intentOutcome,
  MAX_AMOUNT_KES,
  MIN_AMOUNT_KES,
  newIdempotencyKey,
  parseAmountKes,
  QUICK_AMOUNTS_KES,
} from '../state/payment';
import { useI18n } from './i18n-context';
import { ReceiptView, useReceipt } from './receipt-view';

/** The estimate is asked for once the amount has not changed for this long. */
const QUOTE_DEBOUNCE_MS = 250;

/** After this long without an answer the panel offers to start again (polling goes on). */
const STILL_WAITING_MS = 60_000;

type Phase =
  | { name: 'form' }
  | { name: 'sending' }
  | { name: 'waiting'; intentId: string; amountKes: number; phone: string; sinceMs: number }
  | { name: 'succeeded'; intent: PaymentIntent | null; amountKes: number; energyKwh: number | null }
  | { name: 'failed'; reason: string; resultCode: number | null };

/**
 * The "Buy electricity" panel: M-Pesa STK push for this meter, followed live (socket events,
 * with polling of the payment intent as a fallback since sockets deliver at most once).
 */
export function BuyElectricity({
  session,
  meterNo,
  accountNo,
  tariffGroup,
}: {
  session: LiveSession;
  meterNo: string;
  /** the paybill account number, once the meter's HTTP answer brought it */
  accountNo: string | null;
  /** the meter's customer group, whose tariff the estimate quotes (null: the default group) */
  tariffGroup: string | null;
}) {
  const { t, locale } = useI18n();
  const kes = (v: number) => formatKes(locale, v).replace(/\.00$/, '');
  const [phone, setPhone] = useState('');
  const phoneTouched = useRef(false);
  const [quickKes, setQuickKes] = useState<number>(QUICK_AMOUNTS_KES[1]);
  const [customKes, setCustomKes] = useState('');
  const [phase, setPhase] = useState<Phase>({ name: 'form' });
  const [error, setError] = useState<string | null>(null);
  // "Retry" asks first: another prompt on the customer's phone is their call, not ours.
  const [confirmRetry, setConfirmRetry] = useState(false);
  const [config, setConfig] = useState<PublicConfig | null>(null);
  const [now, setNow] = useState(() => Date.now());

  useEffect(() => {
    let live = true;
    session.http
      .me()
      .then((me) => {
        if (live && me.phone && !phoneTouched.current) setPhone(me.phone);
      })
      .catch(() => {});
    void loadPublicConfig().then((c) => {
      if (live) setConfig(c);
    });
    return () => {
      live = false;
    };
  }, [session]);

  // The full receipt (the split, the new balance) of a payment that succeeded.
  const receiptState = useReceipt(
    session.http,
    phase.name === 'succeeded' ? (phase.intent?.transactionId ?? null) : null,
  );

  const custom = customKes.trim();
  // The server's ceiling once known (an operator may set it lower than M-Pesa's own).
  const maxKes = Math.min(config?.stkMaxKes ?? MAX_AMOUNT_KES, MAX_AMOUNT_KES);
  const amountKes = custom === '' ? (quickKes <= maxKes ? quickKes : null) : parseAmountKes(custom, maxKes);
  const normalizedPhone = normalizeKenyanPhone(phone);

  // The estimate is the server's quote at the tariff in force (operators set it), asked for
  // once the amount has stayed put briefly.
  const [quote, setQuote] = useState<{ amountKes: number; energyMwh: number; tariffName: string } | null>(
    null,
  );
  useEffect(() => {
    if (amountKes === null) return;
    let live = true;
    const timer = setTimeout(() => {
      session.http
        .tariffQuote(amountKes, tariffGroup)
        .then((q) => {
          if (live) setQuote({ amountKes, energyMwh: q.energyMwh, tariffName: q.tariffName });
        })
        .catch(() => {});
    }, QUOTE_DEBOUNCE_MS);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [session, amountKes, tariffGroup]);

  // Follow one payment: the socket's news when it comes, the intent's status every few seconds.
  const waitingIntentId = phase.name === 'waiting' ? phase.intentId : null;
  const waitingAmountKes = phase.name === 'waiting' ? phase.amountKes : 0;
  useEffect(() => {
    if (waitingIntentId === null) return;
    let done = false;
    let inFlight = false;
    const finish = (next: Phase) => {
      if (done) return;
      done = true;
      setPhase(next);
    };
    const check = async (socketFailure?: string) => {
      if (done || inFlight) return;
      inFlight = true;
      try {
        const intent = await session.http.paymentIntent(waitingIntentId);
        const outcome = intentOutcome(intent.status);
        if (outcome === 'succeeded') {
          finish({ name: 'succeeded', intent, amountKes: intent.amountKes, energyKwh: intent.energyKwh });
        } else if (outcome === 'failed') {
          finish({ name: 'failed', reason: intent.reason ?? '', resultCode: intent.resultCode });
        } else if (socketFailure !== undefined) {
          finish({ name: 'failed', reason: socketFailure, resultCode: null });
        }
      } catch {
        // the next poll or event tries again; a failure the socket announced ends it now
        if (socketFailure !== undefined) finish({ name: 'failed', reason: socketFailure, resultCode: null });
      } finally {
        inFlight = false;
      }
      setNow(Date.now());
    };
    const timer = setInterval(() => void check(), INTENT_POLL_MS);
    const unsubscribe = session.onPayment((e) => {
      if (e.kind === 'failed') {
        // The intent has the result code, which the panel words in the customer's language.
        if (e.intentId === waitingIntentId) void check(e.reason);
      } else if (e.meterNo === meterNo || e.meterNo === null) {
        // A credit landed on this meter: read the intent for the receipt number and the kWh.
        void check();
      }
    });
    void check();
    return () => {
      done = true;
      clearInterval(timer);
      unsubscribe();
    };
  }, [session, waitingIntentId, waitingAmountKes, meterNo]);

  async function pay() {
    if (amountKes === null || normalizedPhone === null) return;
    setError(null);
    setPhase({ name: 'sending' });
    try {
      const answer = await session.http.stkPush(
        { phoneNumber: normalizedPhone, amount: amountKes, meterNo },
        newIdempotencyKey(),
      );
      setNow(Date.now());
      setPhase({
        name: 'waiting',
        intentId: answer.intentId,
        amountKes,
        phone: normalizedPhone,
        sinceMs: Date.now(),
      });
    } catch (err) {
      setPhase({ name: 'form' });
      if (err instanceof ApiError) setError(payErrorText(err));
      else setError(t('networkError'));
    }
  }

  function payErrorText(err: ApiError): string {
    if (err.code === 'PAYMENT_PROMPT_PENDING') return t('payPromptPending');
    if (err.code === 'PAYMENT_AMOUNT_TOO_LARGE') return t('payAmountTooLarge', { max: kes(maxKes) });
    if (err.status !== 429) return errorText({ t, locale }, err);
    // The server's own wait, not a guess.
    return err.retryAfterS === null
      ? t('payTooMany')
      : t('payTooManyWait', {
          wait: formatDuration(locale, Math.max(1, Math.ceil(err.retryAfterS / 60)) * 60_000),
        });
  }

  async function topUpDemo() {
    if (amountKes === null) return;
    setError(null);
    try {
      await session.topUpDemo(meterNo, amountKes);
    } catch (err) {
      setError(errorText({ t, locale }, err));
    }
  }

  let body;
  if (phase.name === 'waiting') {
    const virtualPhone =
      config?.demo && config.virtualPhoneUrl
        ? `${config.virtualPhoneUrl}?phone=${encodeURIComponent(phase.phone)}`
        : null;
    const smsPhone =
      config?.demo && config.smsPhoneUrl
        ? `${config.smsPhoneUrl}?phone=${encodeURIComponent(phase.phone)}`
        : null;
    body = (
      <div className="pay-status" data-testid="payment-status" data-status="waiting" role="status">
        <span className="spinner" aria-hidden="true" />
        <p className="pay-status-title">{t('payWaiting')}</p>
        <p className="muted small">
          {t('payWaitingHint', { amount: kes(phase.amountKes), phone: phase.phone })}
        </p>
        {virtualPhone && (
          <a
            className="button block"
            href={virtualPhone}
            target="_blank"
            rel="noopener"
            data-testid="virtual-phone-link"
          >
            {t('payVirtualPhone')}
          </a>
        )}
        {smsPhone && (
          <a
            className="button block"
            href={smsPhone}
            target="_blank"
            rel="noopener"
            data-testid="sms-phone-link"
          >
            {t('paySmsPhone')}
          </a>
        )}
        {now - phase.sinceMs > STILL_WAITING_MS && (
          <>
            <p className="muted small">{t('payStillWaiting')}</p>
            <button className="button block" type="button" onClick={() => setPhase({ name: 'form' })}>
              {t('payStartOver')}
            </button>
          </>
        )}
      </div>
    );
  } else if (phase.name === 'succeeded') {
    const receipt = phase.intent?.receipt ?? null;
    body = (
      <div
        className="pay-receipt"
        data-testid="payment-receipt"
        data-status="succeeded"
        data-receipt={receipt ?? ''}
        role="status"
      >
        <p className="pay-status-title good">
          <span aria-hidden="true">✓ </span>
          {t('paySuccess')}
        </p>
        {receiptState.status === 'ready' &&
        receiptState.receipt.transactionId === phase.intent?.transactionId ? (
          <ReceiptView receipt={receiptState.receipt} />
        ) : (
          <dl className="receipt-lines">
            <dt>{t('payReceiptAmount')}</dt>
            <dd data-testid="receipt-amount">{formatKes(locale, phase.amountKes)}</dd>
            <dt>{t('payReceiptEnergy')}</dt>
            <dd data-testid="receipt-energy">
              {phase.energyKwh === null ? '—' : formatKwh(locale, phase.energyKwh)}
            </dd>
            <dt>{t('payReceiptNumber')}</dt>
            <dd data-testid="receipt-number" className="mono">
              {receipt ?? t('payReceiptPending')}
            </dd>
            {phase.intent && (
              <>
                <dt>{t('payReceiptPhone')}</dt>
                <dd>{phase.intent.phone}</dd>
              </>
            )}
          </dl>
        )}
        <button className="button block" type="button" onClick={() => setPhase({ name: 'form' })}>
          {t('payAgain')}
        </button>
      </div>
    );
  } else if (phase.name === 'failed') {
    const failureKey = failureMessageKey(phase.resultCode);
    body = (
      <div className="pay-failed" data-testid="payment-status" data-status="failed" role="alert">
        <p className="pay-status-title bad">{t('payFailed')}</p>
        <p
          className="pay-reason"
          data-testid="payment-failure-reason"
          data-result-code={phase.resultCode ?? ''}
        >
          {t(failureKey)}
        </p>
        {confirmRetry ? (
          <div className="pay-confirm" data-testid="payment-retry-confirm">
            <p>
              {t('payRetryConfirm', {
                amount: amountKes === null ? '' : kes(amountKes),
                phone: maskPhone(normalizedPhone) ?? '',
              })}
            </p>
            <button
              className="button primary block"
              type="button"
              onClick={() => {
                setConfirmRetry(false);
                void pay();
              }}
              data-testid="payment-retry-yes"
            >
              {t('payRetryYes')}
            </button>
            <button className="button ghost block" type="button" onClick={() => setConfirmRetry(false)}>
              {t('payRetryNo')}
            </button>
          </div>
        ) : (
          <button
            className="button primary block"
            type="button"
            onClick={() => setConfirmRetry(true)}
            data-testid="payment-retry"
          >
            {t('payRetry')}
          </button>
        )}
        <button className="button ghost block" type="button" onClick={() => setPhase({ name: 'form' })}>
          {t('payChange')}
        </button>
      </div>
    );
  } else {
    const sending = phase.name === 'sending';
    const amountInvalid = custom !== '' && amountKes === null;
    const phoneInvalid = phone.trim() !== '' && normalizedPhone === null;
    body = (
      <form
        className="pay-form"
        onSubmit={(e) => {
          e.preventDefault();
          void pay();
        }}
      >
        <label className="field">
          <span>{t('payPhone')}</span>
          <input
            name="phoneNumber"
            inputMode="tel"
            autoComplete="tel"
            required
            maxLength={20}
            value={phone}
            aria-invalid={phoneInvalid}
            onChange={(e) => {
              phoneTouched.current = true;
              setPhone(e.target.value);
            }}
            data-testid="payment-phone"
          />
          <small className={phoneInvalid ? 'bad' : 'muted'}>
            {phoneInvalid ? t('phoneInvalid') : t('payPhoneHint')}
          </small>
        </label>
        <fieldset className="pay-amount" data-testid="payment-amount" data-amount-kes={amountKes ?? ''}>
          <legend>{t('payAmount')}</legend>
          <div className="chips" role="group" aria-label={t('payQuickAmounts')}>
            {QUICK_AMOUNTS_KES.map((v) => (
              <button
                key={v}
                type="button"
                className="chip"
                aria-pressed={custom === '' && v === quickKes}
                onClick={() => {
                  setQuickKes(v);
                  setCustomKes('');
                }}
                data-testid={`amount-${v}`}
                aria-label={kes(v)}
              >
                {formatNumber(locale, v, 0)}
              </button>
            ))}
          </div>
          <label className="field">
            <span className="small">{t('payCustomAmount')}</span>
            <input
              name="amount"
              inputMode="numeric"
              pattern="[0-9]*"
              value={customKes}
              aria-invalid={amountInvalid}
              onChange={(e) => setCustomKes(e.target.value.replace(/[^\d]/g, ''))}
              data-testid="payment-custom-amount"
            />
          </label>
        </fieldset>
        <p className="pay-estimate" data-testid="payment-estimate">
          {amountKes === null
            ? t('payAmountInvalid', { min: MIN_AMOUNT_KES, max: kes(maxKes) })
            : quote?.amountKes === amountKes
              ? t('payEstimate', {
                  energy: formatKwh(locale, mwhToKwh(quote.energyMwh)),
                  tariff: quote.tariffName,
                })
              : t('payEstimateLoading')}
        </p>
        {error && (
          <p className="form-error" role="alert" data-testid="payment-error">
            {error}
          </p>
        )}
        <button
          className="button primary block pay-button"
          type="submit"
          disabled={sending || amountKes === null || normalizedPhone === null}
          data-testid="pay-button"
        >
          {sending ? t('paySending') : t('payButton', { amount: amountKes === null ? '' : kes(amountKes) })}
        </button>
        {/* The demo top-up credits without payment: the server offers it in the demo only. */}
        {config?.demo === true && (
          <button
            className="link-button small"
            type="button"
            disabled={sending || amountKes === null}
            onClick={() => void topUpDemo()}
            data-testid="top-up-demo"
          >
            {t('topUpDemo')}
          </button>
        )}
      </form>
    );
  }

  return (
    <section
      className="card buy-card"
      data-testid="buy-electricity"
      data-meter-no={meterNo}
      data-phase={phase.name}
    >
      <h2 className="card-title">{t('buyElectricity')}</h2>
      {accountNo !== null && (
        <p className="muted small" data-testid="paybill-account" data-account-no={accountNo}>
          {t('paybillAccountHint', { accountNo })}
        </p>
      )}
      <div data-testid="payment-panel" className="pay-panel" aria-live="polite">
        {body}
      </div>
    </section>
  );
}
