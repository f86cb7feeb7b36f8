import { useCallback, useEffect, useState } from 'react';
import { errorText } from '../i18n/error-text';
import type { LiveSession } from '../live/live-session';
import { formatDateTime, formatKes, isoToMs } from '../state/format';
import {
  parseTopupKes,
  TOPUP_CHANNEL_CHOICES,
  TOPUP_REFERENCE_MAX_CHARS,
  topupChannelKey,
  topupStatusKeys,
  type TopupChannel,
  type TopupRow,
} from '../state/topups';
import { useI18n } from './i18n-context';

const statusTone: Record<TopupRow['status'], string> = { pending: 'warn', approved: 'good', rejected: 'bad' };

/**
 * "Top up another way": the customer tells an operator about money paid at an agent or by bank
 * transfer, and follows each request's decision live (`topup_updated`; the list is read again on
 * that event and when the window regains focus, since a socket may have missed it).
 */
export function TopupRequests({ session, meterNo }: { session: LiveSession; meterNo: string }) {
  const { t, locale } = useI18n();
  const [amount, setAmount] = useState('');
  const [channel, setChannel] = useState<TopupChannel>('agent');
  const [reference, setReference] = useState('');
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [sent, setSent] = useState(false);
  const [rows, setRows] = useState<TopupRow[] | null>(null);

  const load = useCallback(() => {
    session.http.topups(meterNo).then(
      (page) => setRows(page.topups),
      () => undefined, // the list is a convenience; the next event or focus reads it again
    );
  }, [session, meterNo]);

  useEffect(() => {
    load();
    const off = session.onTopup((e) => {
      if (e.meterNo === meterNo) load();
    });
    window.addEventListener('focus', load);
    return () => {
      off();
      window.removeEventListener('focus', load);
    };
  }, [session, meterNo, load]);

  const amountKes = parseTopupKes(amount);
  const amountInvalid = amount.trim() !== '' && amountKes === null;

  async function submit() {
    if (amountKes === null) return;
    setSending(true);
    setError(null);
    setSent(false);
    try {
      const ref = reference.trim();
      await session.http.requestTopup({
        meterNo,
        amount: amountKes,
        channel,
        ...(ref ? { reference: ref } : {}),
      });
      setAmount('');
      setReference('');
      setSent(true);
      load();
    } catch (err) {
      setError(errorText({ t, locale }, err));
    } finally {
      setSending(false);
    }
  }

  return (
    <section className="card topup-card" data-testid="topup-panel" data-meter-no={meterNo}>
      <h2 className="card-title">{t('topupTitle')}</h2>
      <p className="muted small">{t('topupHint')}</p>
      <form
        className="pay-form"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <label className="field">
          <span>{t('topupAmount')}</span>
          <input
            name="topupAmount"
            inputMode="decimal"
            required
            maxLength={10}
            value={amount}
            aria-invalid={amountInvalid}
            onChange={(e) => setAmount(e.target.value.replace(/[^\d.]/g, ''))}
            data-testid="topup-amount"
          />
          {amountInvalid && <small className="bad">{t('topupAmountInvalid')}</small>}
        </label>
        <label className="field">
          <span>{t('topupChannel')}</span>
          <select
            name="topupChannel"
            value={channel}
            onChange={(e) => setChannel(e.target.value as TopupChannel)}
            data-testid="topup-channel"
          >
            {TOPUP_CHANNEL_CHOICES.map((c) => (
              <option key={c} value={c}>
                {t(topupChannelKey(c))}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>{t('topupReference')}</span>
          <input
            name="topupReference"
            maxLength={TOPUP_REFERENCE_MAX_CHARS}
            value={reference}
            onChange={(e) => setReference(e.target.value)}
            data-testid="topup-reference"
          />
        </label>
        {error && (
          <p className="form-error" role="alert" data-testid="topup-error">
            {error}
          </p>
        )}
        {sent && (
          <p className="muted small" role="status" data-testid="topup-sent">
            {t('topupSent')}
          </p>
        )}
        <button
          className="button block"
          type="submit"
          disabled={sending || amountKes === null}
          data-testid="topup-submit"
        >
          {sending ? t('topupSending') : t('topupSubmit')}
        </button>
      </form>
      <h3 className="small topup-list-title">{t('topupRequests')}</h3>
      {rows !== null && rows.length === 0 && <p className="muted small">{t('topupNone')}</p>}
      <ul className="topup-list" data-testid="topup-list" aria-live="polite">
        {(rows ?? []).map((r) => (
          <li
            key={r.id}
            className="topup-item"
            data-testid="topup-item"
            data-id={r.id}
            data-status={r.status}
          >
            <div className="topup-line">
              <strong>{formatKes(locale, r.amountKes)}</strong>
              <span className={`pill small ${statusTone[r.status]}`} data-testid="topup-status">
                {t(topupStatusKeys[r.status])}
              </span>
            </div>
            <div className="muted small">
              {t(topupChannelKey(r.channel))}
              {r.reference ? ` · ${r.reference}` : ''} · {formatDateTime(locale, isoToMs(r.createdAt) ?? 0)}
            </div>
            {r.status === 'rejected' && r.adminNotes && (
              <div className="small bad" data-testid="topup-reason">
                {t('topupReason', { reason: r.adminNotes })}
              </div>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
